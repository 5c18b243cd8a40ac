"""Term statistics of the indexed passages: Lucene BM25 (idf, per-passage term weights, ranking).

Two places rank by BM25 and must agree to the float: bm25s in this process (``LocalBm25``, the
FAISS store) and a search engine's sparse inner product (the Milvus store), which stores each
passage's ``bm25_weights`` and is queried with ``query_counts``: the inner product of the two
is the Lucene BM25 score bm25s computes (``tests/test_store.py`` checks it on tiny data).
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
    """bm25s over the passages' terms, in this process (the FAISS store's lexical ranking)."""

    def __init__(self, doc_terms: list[list[str]]):
        import bm25s

        self._bm25 = bm25s.BM25()
        self._bm25.index(doc_terms, show_progress=False)
        self.vocab = set(self._bm25.vocab_dict) - {""}

    def top(self, matched: list[str], n: int) -> list[tuple[int, float]]:
        """The ``n`` best passages for known terms ``matched``: (passage idx, score > 0)."""
        scores = self._bm25.get_scores(matched)
        order = np.argsort(-scores, kind="stable")[:n]
        return [(int(i), float(scores[i])) for i in order if scores[i] > 0]
