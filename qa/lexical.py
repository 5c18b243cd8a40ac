"""Term statistics of the indexed passages: Lucene BM25 (idf, per-passage term weights, ranking).

Two places rank by BM25 and must agree to the float: posting lists in this process
(``LocalBm25``, the FAISS store) and a search engine's sparse inner product (the Milvus store),
which stores each passage's ``bm25_weights`` and is queried with ``query_counts``. Both give the
Lucene BM25 score bm25s computes (``tests/test_store.py`` checks it on tiny data).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

# bm25s's defaults, which the project has always used (bm25s.BM25(method="lucene"))
K1 = 1.5
B = 0.75


def lucene_idf(doc_terms: list[list[str]]) -> dict[str, float]:
    """Lucene's BM25 idf, ``log(1 + (N - df + 0.5) / (df + 0.5))``, for every term (always > 0)."""
    df = Counter(t for doc in doc_terms for t in set(doc))
    n = len(doc_terms)
    return {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}


def vocabulary(doc_terms: list[list[str]]) -> dict[str, int]:
    """{term: id}, ids in sorted term order (stored with an index whose vectors use them)."""
    return {t: i for i, t in enumerate(sorted({t for doc in doc_terms for t in doc} - {""}))}


def bm25_postings(doc_terms: list[list[str]], vocab: dict[str, int]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (passage, term id, weight) of the corpus, ordered by passage then term id. The
    weight is idf(t) * tf / (tf + k1 (1 - b + b dl / avgdl)): Lucene's BM25 contribution of a
    term, as bm25s precomputes it (float32, k1 = 1.5, b = 0.75; bm25s's tf part omits the
    constant (k1 + 1), and so does this). Vectorised: a 1,000-deck corpus has ~10^7 postings."""
    n, size = len(doc_terms), len(vocab)
    lengths = np.fromiter((len(d) for d in doc_terms), dtype=np.int64, count=n)
    ids = np.fromiter((vocab.get(t, -1) for d in doc_terms for t in d), dtype=np.int64,
                      count=int(lengths.sum()))
    owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
    known = ids >= 0
    pairs, tf = np.unique(owner[known] * max(size, 1) + ids[known], return_counts=True)
    docs, terms = pairs // max(size, 1), pairs % max(size, 1)
    df = np.bincount(terms, minlength=size)
    # math.log per term, as lucene_idf computes it, then float32 as bm25s stores it
    idf = np.array([math.log(1 + (n - int(c) + 0.5) / (int(c) + 0.5)) for c in df], dtype=np.float32)
    avgdl = int(lengths.sum()) / max(n, 1) or 1.0  # all passages empty: no postings either
    norm = (K1 * ((1 - B) + B * lengths / avgdl)).astype(np.float32)  # per passage
    tf32 = tf.astype(np.float32)
    return docs, terms, idf[terms] * (tf32 / (norm[docs] + tf32))


def bm25_weights(doc_terms: list[list[str]], vocab: dict[str, int]) -> list[dict[int, float]]:
    """Per passage, {term id: its BM25 weight} (``bm25_postings``): a search engine's sparse vectors."""
    docs, terms, weights = bm25_postings(doc_terms, vocab)
    bounds = np.searchsorted(docs, np.arange(len(doc_terms) + 1))
    return [dict(zip(terms[a:b].tolist(), weights[a:b].tolist())) for a, b in zip(bounds[:-1], bounds[1:])]


def query_counts(query_terms: list[str], vocab: dict[str, int]) -> dict[int, float]:
    """The query's sparse vector: how often each known term occurs (bm25s adds a repeated
    query term's contribution once per occurrence)."""
    return {vocab[t]: float(c) for t, c in Counter(t for t in query_terms if t in vocab).items()}


class LocalBm25:
    """BM25 over the passages' terms, in this process (the FAISS store's lexical ranking): posting
    lists of ``bm25_postings`` summed per query term in query order, as bm25s scores its eager
    index (``tests/test_store.py`` checks both rank alike). numpy only, because importing bm25s
    brings scipy and costs a cold ``qa ask`` about 0.3 s."""

    def __init__(self, doc_terms: list[list[str]]):
        self._n = len(doc_terms)
        self._ids = vocabulary(doc_terms)
        self.vocab = set(self._ids)
        docs, terms, weights = bm25_postings(doc_terms, self._ids)
        by_term = np.argsort(terms, kind="stable")  # each term's passages stay in order
        self._docs, self._weights = docs[by_term], weights[by_term]
        self._starts = np.concatenate([[0], np.cumsum(np.bincount(terms, minlength=len(self._ids)))])

    def scores(self, matched: list[str]) -> np.ndarray:
        """Every passage's BM25 score for ``matched`` (a repeated term counts once per occurrence)."""
        scores = np.zeros(self._n, dtype=np.float32)
        for term in matched:
            i = self._ids.get(term)
            if i is not None:
                start, end = self._starts[i], self._starts[i + 1]
                # a term's postings name each passage once: plain fancy-index addition is exact
                scores[self._docs[start:end]] += self._weights[start:end]
        return scores

    def top(self, matched: list[str], n: int) -> list[tuple[int, float]]:
        """The ``n`` best passages for known terms ``matched``: (passage idx, score > 0)."""
        scores = self.scores(matched)
        pool = np.arange(len(scores))
        if 0 < n < len(scores):  # the n-th best score and every passage at or above it (ties kept)
            pool = np.flatnonzero(scores >= np.partition(scores, len(scores) - n)[len(scores) - n])
        order = pool[np.argsort(-scores[pool], kind="stable")][:n]  # ties by row, as a full sort
        return [(int(i), float(scores[i])) for i in order if scores[i] > 0]
