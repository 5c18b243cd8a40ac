"""Hubness of sentence vectors: how close a sentence sits to the corpus at large.

Across languages some sentences are "hubs": a long line naming many topics (a programme, two
dates, a fund) has a high cosine with almost any English question, so it wins lines it does
not answer. CSLS (Conneau et al., 2018, "Word translation without parallel data") corrects a
cross-lingual cosine by each item's mean cosine with its nearest neighbours; here the
neighbours are the corpus's own sentences (up to ``REFERENCE_ROWS`` of them, evenly spaced, so
the cost per line stays fixed as a corpus grows). Computed on demand for the lines a question
looks at and kept.
"""

from __future__ import annotations

import numpy as np

NEIGHBOURS = 10  # CSLS's usual k
REFERENCE_ROWS = 4096
# English questions' line cosines drop by this times the line's hubness. Chosen by 5-fold
# cross-validation by slide over the gold set (eval/README.md, "Hubness"); Japanese questions
# are not corrected: there it lowered accuracy at every weight tried.
CROSS_LINGUAL_WEIGHT = 0.5


class Hubness:
    """Mean cosine of each row of ``vectors`` with its ``NEIGHBOURS`` nearest reference rows
    (itself excluded)."""

    def __init__(self, vectors: np.ndarray, neighbours: int = NEIGHBOURS,
                 reference_rows: int = REFERENCE_ROWS):
        self._vectors = vectors
        n = len(vectors)
        self._rows = np.unique(np.linspace(0, n - 1, min(reference_rows, n)).astype(np.int64)) if n else (
            np.zeros(0, dtype=np.int64))
        self._reference = vectors[self._rows]
        self._k = max(1, min(neighbours, len(self._rows) - 1))
        self._known: dict[int, float] = {}

    def of(self, start: int, count: int) -> np.ndarray:
        """Hubness of rows ``start`` .. ``start + count - 1`` (0 in a corpus of one sentence)."""
        rows = range(start, start + count)
        todo = [r for r in rows if r not in self._known]
        if todo and len(self._rows) < 2:
            self._known.update((r, 0.0) for r in todo)
        elif todo:
            sims = self._vectors[todo] @ self._reference.T
            for i, r in enumerate(todo):
                sims[i, self._rows == r] = -np.inf  # not its own neighbour
            top = np.partition(sims, -self._k, axis=1)[:, -self._k:]  # k < reference rows: all finite
            self._known.update((r, float(v)) for r, v in zip(todo, top.mean(axis=1)))
        return np.array([self._known[r] for r in rows], dtype=np.float32)
