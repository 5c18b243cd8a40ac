"""Evaluation metrics on hand-made cases."""

from __future__ import annotations

import math

import pytest

from qa.metrics import (
    answer_correct,
    citation_valid,
    hit_at_k,
    is_relevant,
    mrr,
    ndcg_at_k,
    normalise,
    percentiles,
    reciprocal_rank,
)


def test_normalise_folds_width_and_drops_all_whitespace():
    assert normalise("ＩＭＦ　見通し\n －３．３ \t％") == "IMF見通し-3.3%"
    assert normalise("Ⅳ－３②") == normalise("Ⅳ-3②")


def test_is_relevant_needs_every_evidence_string_across_line_breaks():
    passage = "（％）2020年 2021年\n世界 -3.3\n 6.0\n日本 -4.8 3.3"
    assert is_relevant(passage, ["世界 -3.3 6.0"])
    assert is_relevant(passage, ["世界 －３．３ ６．０", "日本 -4.8"])
    assert not is_relevant(passage, ["世界 -3.3 6.0", "中国 2.3 8.4"])
    assert not is_relevant(passage, [])  # unanswerable items have no relevant passage


def test_rank_metrics_on_known_cases():
    assert mrr([2, None]) == 0.25
    assert mrr([1, 11]) == 0.5  # a rank beyond 10 counts 0
    assert mrr([]) == 0.0
    flags = [False, True, False]
    assert reciprocal_rank(flags) == 0.5
    assert hit_at_k(flags, 1) == 0.0 and hit_at_k(flags, 2) == 1.0
    assert reciprocal_rank([False] * 10 + [True]) == 0.0


def test_ndcg_ideal_from_index_count_or_retrieved_list():
    assert ndcg_at_k([True, False]) == 1.0
    assert ndcg_at_k([False, True]) == pytest.approx(1 / math.log2(3))
    # two relevant passages exist in the index but only one was retrieved
    assert ndcg_at_k([False, True], n_relevant=2) == pytest.approx(
        (1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    assert ndcg_at_k([False, False], n_relevant=0) == 0.0


def test_answer_correct_for_answerable_and_unanswerable():
    assert answer_correct("成長率は－３．３％でした", False, ["-3.3"], True)
    assert not answer_correct("成長率は－３．３％でした", True, ["-3.3"], True)  # abstained
    assert not answer_correct("6.0%", False, ["-3.3"], True)
    assert answer_correct("", True, [], False)  # abstaining is right when there is no answer
    assert not answer_correct("It was 2%.", False, [], False)


def test_citation_valid_needs_offsets_and_passage():
    source = "前文。世界経済は回復。後文。"
    quote = "世界経済は回復"
    start = source.index(quote)
    passage = source[3:]
    assert citation_valid(quote, start, start + len(quote), source, passage)
    assert not citation_valid(quote, start + 1, start + 1 + len(quote), source, passage)
    assert not citation_valid(quote, start, start + len(quote), source, "別の文章")
    assert not citation_valid("", 0, 0, source, passage)


def test_percentiles_use_numpy_interpolation():
    assert percentiles([10, 20, 30, 40]) == {"p50": 25.0, "p95": 38.5}
    assert percentiles([None]) == {"p50": None, "p95": None}
