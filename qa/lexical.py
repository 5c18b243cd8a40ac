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


def bm25_weights(doc_terms: list[list[str]], vocab: dict[str, int]) -> list[dict[int, float]]:
    """Per passage, {term id: idf(t) * tf (k1 + 1) / (tf + k1 (1 - b + b dl / avgdl))}: Lucene's
    BM25 contribution of each of its terms, as bm25s precomputes it (float32, k1 = 1.5, b = 0.75;
    bm25s's tf part omits the constant (k1 + 1), and so does this)."""
    idf = lucene_idf(doc_terms)
    lengths = [len(d) for d in doc_terms]
    avgdl = sum(lengths) / max(len(lengths), 1)
    out = []
    for doc, dl in zip(doc_terms, lengths):
        counts = Counter(t for t in doc if t in vocab)
        ids = [vocab[t] for t in counts]
        tf = np.asarray(list(counts.values()), dtype=np.float32)
        tfc = tf / (K1 * ((1 - B) + B * dl / avgdl) + tf)
        weights = np.asarray([idf[t] for t in counts], dtype=np.float32) * tfc
        out.append({i: float(w) for i, w in zip(ids, weights)})
    return out


def query_counts(query_terms: list[str], vocab: dict[str, int]) -> dict[int, float]:
    """The query's sparse vector: how often each known term occurs (bm25s adds a repeated
    query term's contribution once per occurrence)."""
    return {vocab[t]: float(c) for t, c in Counter(t for t in query_terms if t in vocab).items()}


class LocalBm25:
    """BM25 over the passages' terms, in this process (the FAISS store's lexical ranking): posting
    lists of ``bm25_weights`` summed per query term in query order, as bm25s scores its eager
    index (``tests/test_lexical.py`` checks both rank alike). numpy only, because importing bm25s
    brings scipy and costs a cold ``qa ask`` about 0.3 s."""

    def __init__(self, doc_terms: list[list[str]]):
        self._n = len(doc_terms)
        self._ids = vocabulary(doc_terms)
        self.vocab = set(self._ids)
        columns: list[list[tuple[int, float]]] = [[] for _ in self._ids]
        for doc, weights in enumerate(bm25_weights(doc_terms, self._ids)):
            for term, w in weights.items():
                columns[term].append((doc, w))
        lengths = np.fromiter((len(c) for c in columns), dtype=np.int64, count=len(columns))
        self._starts = np.concatenate([[0], np.cumsum(lengths)])
        self._docs = np.fromiter((d for c in columns for d, _ in c), dtype=np.int64, count=int(lengths.sum()))
        self._weights = np.fromiter((w for c in columns for _, w in c), dtype=np.float32,
                                    count=int(lengths.sum()))

    def scores(self, matched: list[str]) -> np.ndarray:
        """Every passage's BM25 score for ``matched`` (a repeated term counts once per occurrence)."""
        scores = np.zeros(self._n, dtype=np.float32)
        for term in matched:
            i = self._ids.get(term)
            if i is not None:
                start, end = self._starts[i], self._starts[i + 1]
                np.add.at(scores, self._docs[start:end], self._weights[start:end])
        return scores

    def top(self, matched: list[str], n: int) -> list[tuple[int, float]]:
        """The ``n`` best passages for known terms ``matched``: (passage idx, score > 0)."""
        scores = self.scores(matched)
        order = np.argsort(-scores, kind="stable")[:n]
        return [(int(i), float(scores[i])) for i in order if scores[i] > 0]
