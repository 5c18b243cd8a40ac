"""The offline answerer's pieces on tiny data: features, the fitted model file, the decision,
line choice, the short answer and the wording in both languages."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qa.answer_model import MODEL_FILE, AnswerModel, LanguageModel, LinearModel, load_model, save_model
from qa.answering import choose_lines, decide, is_cut, is_heading
from qa.composing import GLOSSARY_LABEL, Quote, ShortAnswer, compose, short_answer
from qa.confidence import (
    QUESTION_FEATURES,
    has_content,
    missing_idf,
    missing_names,
    missing_numbers,
    term_groups,
)
from qa.errors import AnswerModelError
from qa.features import FEATURES, Question, candidates, coverage, novelty
from qa.fitting import thresholds
from qa.question_analysis import AnswerType, answer_type
from qa.records import Hit, Passage
from qa.span_choice import pick_span
from qa.spans import Span, numeric_spans

IDF = {"重点": 2.0, "分野": 1.0, "カーボン": 3.0, "ニュートラル": 3.0, "ヘルスケア": 3.0, "6": 1.5}


def test_coverage_and_novelty_tell_a_label_line_from_its_content():
    q = ["重点", "6", "分野"]
    label, content = frozenset(["重点", "6", "分野"]), frozenset(["カーボン", "ニュートラル", "ヘルスケア"])
    assert coverage(q, label, IDF) == 1.0 and novelty(q, label, IDF) == 0.0
    assert coverage(q, content, IDF) == 0.0 and novelty(q, content, IDF) == 1.0


def _deck_passage() -> Passage:
    text = "重点6分野\nカーボンニュートラル、ヘルスケア、モビリティ\n2021年に4.2兆円を投じる。"
    return Passage("S#1", "S", "J-Bridge", text, 100, 100 + len(text))


def _lines(passage: Passage):
    spans = []
    pos = passage.start
    for line in passage.text.split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    vecs = np.eye(len(spans), 4, dtype=np.float32)
    return lambda pid: (passage, spans, vecs, vecs)


def test_candidates_describe_every_line_with_named_features():
    p = _deck_passage()
    q = Question("J-Bridgeの重点6分野の投資額はいくらですか", "ja", ["重点", "6", "分野", "投資"],
                 np.array([0, 1, 0, 0], dtype=np.float32),
                 answer_type("J-Bridgeの投資額はいくらですか", "ja"))
    cands = candidates(q, [Hit(p.id, p.section, p.title, p.text, 1.0, p.start, p.end, 1)], _lines(p), IDF)
    assert [c.text for c in cands] == p.text.split("\n")
    assert all(c.x.shape == (len(FEATURES),) for c in cands)
    f = {name: i for i, name in enumerate(FEATURES)}
    label, content, amount = cands
    assert label.x[f["lex"]] > content.x[f["lex"]] and content.x[f["novelty"]] > label.x[f["novelty"]]
    assert content.x[f["prev_lex"]] > 0 and label.x[f["first"]] == 1.0
    assert amount.x[f["type_match"]] == 1.0 and [s.text for s in amount.spans] == ["4.2兆円"]
    assert all(p.text[c.start - p.start:c.end - p.start] == c.raw for c in cands)


def test_a_table_split_across_passages_offers_its_lower_rows_named_by_their_label():
    top = Passage("S#1", "S", "IMF", "見通し\n(%) 2020年 2021年\n世界 -3.3 6.0", 0, 24)
    below = Passage("S#2", "S", "IMF", "米国 -3.5 6.4\n中国 2.3 8.4", 25, 49)
    by_id = {p.id: p for p in (top, below)}
    lines = lambda pid: _lines(by_id[pid])(pid)  # noqa: E731
    text = "2021年の中国の成長率は何％ですか"
    q = Question(text, "ja", ["2021", "年", "中国", "成長", "率"], np.array([1, 0, 0, 0], dtype=np.float32),
                 answer_type(text, "ja"))
    hit = Hit(top.id, top.section, top.title, top.text, 1.0, top.start, top.end, 1)
    idf = {"2021": 1.0, "年": 0.5, "中国": 2.0, "成長": 1.5, "率": 1.0, "米国": 2.0, "世界": 1.0}
    alone = candidates(q, [hit], lines, idf)
    assert [c.passage.id for c in alone] == ["S#1"] * 3  # without the passage below
    cands = candidates(q, [hit], lines, idf, previous=lambda pid: top if pid == "S#2" else None,
                       following=lambda pid: below if pid == "S#1" else None)
    rows = {c.text: c for c in cands if c.passage.id == "S#2"}
    assert set(rows) == {"米国 -3.5 6.4", "中国 2.3 8.4"} and all(c.rank == 1 for c in rows.values())
    f = {name: i for i, name in enumerate(FEATURES)}
    china, usa = rows["中国 2.3 8.4"], rows["米国 -3.5 6.4"]
    assert china.x[f["row_lex"]] > usa.x[f["row_lex"]] == 0 and china.header_text.startswith("(%)")
    assert china.x[f["first"]] == 0.0 == usa.x[f["first"]]  # mid-table, not a passage's first line
    assert "8.4" in [s.text for s in china.spans]


def test_a_table_row_answers_only_for_the_countries_its_label_names():
    table = Passage("S#1", "S", "IMF", "(%) 2020年 2021年\n世界 -3.3 6.0\n米国 -3.5 6.4 中国 2.3 8.4", 0, 40)
    hit = Hit(table.id, table.section, table.title, table.text, 1.0, table.start, table.end, 1)
    idf = {"2021": 1.0, "年": 0.5, "中国": 2.0, "インド": 2.0, "成長": 1.5, "率": 1.0, "米国": 2.0}

    def cells(text: str, terms: list[str], language: str = "ja") -> dict[str, list[str]]:
        q = Question(text, language, terms, None, answer_type(text, language))
        return {c.text: [s.text for s in c.spans] for c in candidates(q, [hit], _lines(table), idf)}

    china = cells("2021年の中国の成長率は何％ですか", ["2021", "年", "中国", "成長", "率"])
    assert china["米国 -3.5 6.4 中国 2.3 8.4"] == ["2.3", "8.4"] and china["世界 -3.3 6.0"] == []
    # the table lists no India: none of its figures is India's forecast
    india = cells("What was the IMF's 2021 forecast for India?", ["成長", "インド", "日印", "2021"], "en")
    assert not any(india.values())
    us = cells("What was the US growth forecast for 2021?", ["成長", "アメリカ", "2021"], "en")
    assert us["米国 -3.5 6.4 中国 2.3 8.4"] == ["-3.5", "6.4"]  # アメリカ and 米国 are one country
    # a question naming no country may be answered by any row
    world = cells("2021年の成長率は何％ですか", ["2021", "年", "成長", "率"])
    assert world["世界 -3.3 6.0"] == ["-3.3", "6.0"]


def test_english_line_cosines_are_corrected_for_hubness_japanese_ones_are_not():
    p = _deck_passage()
    vec = np.array([0.6, 0.5, 0.0, 0.0], dtype=np.float32)  # line 1 closest, line 2 next
    hubness = lambda pid: (np.array([0.9, 0.1, 0.1], np.float32),) * 2  # noqa: E731 - line 1 is a hub
    hit = Hit(p.id, p.section, p.title, p.text, 1.0, p.start, p.end, 1)
    f = FEATURES.index("cos")
    for language, closest in (("ja", 0), ("en", 1)):
        q = Question("投資額", language, ["投資"], vec, answer_type("投資額", language))
        cands = candidates(q, [hit], _lines(p), IDF, hubness=hubness)
        assert int(np.argmax([c.x[f] for c in cands])) == closest, language


def test_linear_model_round_trips_and_refuses_other_features(tmp_path):
    n = len(FEATURES)
    lm = LinearModel(FEATURES, np.zeros(n), np.ones(n), np.arange(n, dtype=float))
    ab = LinearModel(QUESTION_FEATURES, np.zeros(len(QUESTION_FEATURES)), np.ones(len(QUESTION_FEATURES)),
                     np.zeros(len(QUESTION_FEATURES)), -1.0)
    model = AnswerModel({"ja": LanguageModel(lm, ab, 0.9, 0.5, 1.0, 0.81, 0.4)}, {"note": "test"})
    path = save_model(model, tmp_path / "m.json")
    back = load_model(path)
    assert back.for_language("ja").confident_cos == 0.81 and back.for_language("ja").max_untranslated == 0.4
    older = json.loads(path.read_text())
    del older["languages"]["ja"]["max_untranslated"]  # a file written before the guard: it never fires
    (tmp_path / "old.json").write_text(json.dumps(older))
    assert load_model(tmp_path / "old.json").for_language("ja").max_untranslated == 1.0
    assert np.allclose(back.for_language("en").ranker.coef, lm.coef)  # English falls back to ja
    data = json.loads(path.read_text())
    data["languages"]["ja"]["ranker"]["features"] = ["cos"]
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(AnswerModelError, match="unusable"):
        load_model(tmp_path / "bad.json")
    with pytest.raises(AnswerModelError, match="missing"):
        load_model(tmp_path / "none.json")


def test_the_shipped_model_loads_and_was_fitted_by_cross_validation():
    model = load_model(MODEL_FILE)
    assert set(model.languages) == {"ja", "en"}
    for lm in model.languages.values():
        assert 0 < lm.hedge_at <= lm.abstain_at <= 1
    assert model.provenance["cross_validated"]["ja"]["n"] > 100


def test_a_heading_brings_the_line_under_it_unless_it_holds_the_asked_fact():
    p = _deck_passage()  # lines: 重点6分野 / カーボンニュートラル、… / 2021年に4.2兆円を投じる。
    hits = [Hit(p.id, p.section, p.title, p.text, 1.0, p.start, p.end, 1)]
    lm = LanguageModel(None, None, 1.0, 1.0, second_margin=0.0)

    def chosen(question: str, scores: list[float]) -> list[int]:
        q = Question(question, "ja", ["重点"], None, answer_type(question, "ja"))
        cands = candidates(q, hits, _lines(p), IDF)
        return [c.position for c in choose_lines(cands, np.array(scores), q, lm)]

    assert chosen("重点について教えて", [5.0, 1.0, 0.0]) == [0, 1]
    # 「重点6分野」 answers "how many fields" itself (its 6分野 is the asked count)
    assert chosen("重点は何分野ですか", [5.0, 1.0, 0.0]) == [0]
    # a sentence is not a heading, however short
    assert chosen("重点について教えて", [0.0, 1.0, 5.0]) == [2]


def test_a_line_broken_off_mid_sentence_brings_the_next_line():
    text = "中国は国家基金を設置\n→半導体関連技術を中心に、集積回路の製造と設計に計５兆円を\n超える大規模投資"
    p = Passage("S#1", "S", "中国の産業政策", text, 100, 100 + len(text))
    hits = [Hit(p.id, p.section, p.title, p.text, 1.0, p.start, p.end, 1)]
    question = "中国の投資について教えて"
    q = Question(question, "ja", ["中国", "投資"], None, answer_type(question, "ja"))
    cands = candidates(q, hits, _lines(p), IDF)
    assert not is_heading(cands[1]) and is_cut(cands[1])
    lm = LanguageModel(None, None, 1.0, 1.0, second_margin=0.0)
    assert [c.position for c in choose_lines(cands, np.array([0.0, 5.0, 1.0]), q, lm)] == [1, 2]


@pytest.mark.parametrize("text, cut", [
    ("地方コーディネーター（名古屋・大阪・", True),  # a bracket left open: 「福岡）」 is on the next line
    ("６つの戦略分野（原材料・電池・", True), ("１．再生可能エネルギー・", True),
    ("米国「救済」計画（1.9兆ドル。", True), ("地方コーディネーター（名古屋・大阪・福岡）", False),
    ("中国・長期の計画", False),
])
def test_an_open_bracket_or_a_trailing_list_dot_goes_on_below(text: str, cut: bool):
    p = Passage("S#1", "S", "T", text, 0, len(text))
    hits = [Hit(p.id, p.section, p.title, p.text, 1.0, p.start, p.end, 1)]
    q = Question("q", "ja", ["計画"], None, answer_type("計画は？", "ja"))
    assert is_cut(candidates(q, hits, _lines(p), IDF)[0]) is cut


def test_lines_that_follow_one_another_are_quoted_once():
    from qa.answering import _citations
    from qa.citations import is_valid

    text = "中国は国家基金を設置\n→半導体関連技術を中心に、集積回路の製造と設計に計５兆円を\n超える大規模投資"
    p = Passage("S#1", "S", "中国の産業政策", text, 100, 100 + len(text))
    hits = [Hit(p.id, p.section, p.title, p.text, 1.0, p.start, p.end, 1)]
    q = Question("中国の投資は？", "ja", ["中国", "投資"], None, answer_type("中国の投資は？", "ja"))
    cands = candidates(q, hits, _lines(p), IDF)
    cites, quotes = _citations([cands[1], cands[2]])
    assert len(cites) == 1 and is_valid(cites[0], p)
    assert quotes[0].text == "→半導体関連技術を中心に、集積回路の製造と設計に計５兆円を超える大規模投資"
    # lines apart stay two quotes
    cites, quotes = _citations([cands[0], cands[2]])
    assert [x.text for x in quotes] == ["中国は国家基金を設置", "超える大規模投資"]


def test_an_answer_in_words_brings_the_line_next_to_it_when_the_ranker_scores_it_close():
    text = ("・「欧州気候法案」に大筋合意し、2050年までに排出ネットゼロに法的拘束力。\n"
            "2030年排出目標を現行の40%減から55%減に深掘り。\n・炭素国境調整措置を提案。")
    p = Passage("S#1", "S", "EUの気候政策", text, 100, 100 + len(text))
    hits = [Hit(p.id, p.section, p.title, p.text, 1.0, p.start, p.end, 1)]
    lm = LanguageModel(None, None, 1.0, 1.0, second_margin=2.0)

    def chosen(question: str, scores: list[float]) -> list[int]:
        q = Question(question, "ja", ["欧州", "気候", "法案"], None, answer_type(question, "ja"))
        cands = candidates(q, hits, _lines(p), IDF)
        return [c.position for c in choose_lines(cands, np.array(scores), q, lm)]

    how = "欧州気候法案で排出目標はどのように変わりましたか"
    assert answer_type(how, "ja").kind == "definition"
    assert chosen(how, [5.0, 4.0, 0.0]) == [0, 1]  # the echoed line and the one that answers
    assert chosen(how, [4.0, 5.0, 0.0]) == [0, 1]  # the line above, when the one below is far
    assert chosen(how, [5.0, 2.0, 0.0]) == [0]  # outside the margin: one line suffices
    assert chosen(how, [5.0, 0.0, 4.0]) == [0]  # close, but not next to it
    # a typed fact is answered by its own line
    assert chosen("欧州気候法案の2030年の排出目標は何％減ですか", [5.0, 4.0, 0.0]) == [0]


def test_a_sentence_naming_two_years_is_not_a_table_header():
    from qa.features import TABLE_HEADER, is_table_row

    assert TABLE_HEADER.search("(%) 2020年 2021年 (%) 2020年 2021年")
    assert TABLE_HEADER.search("2019年 2020年 2021年")
    for prose in ("具体的には、2025年度までの6年間に1兆円の案件形成を支援する制度を2020年12月に創設",
                  "※2020年は実績、2021年の数値はIMFによる予測値"):
        assert not TABLE_HEADER.search(prose) and not is_table_row(prose)
    text = "具体的には、2025年度までの6年間に1兆円を支援する制度を2020年12月に創設\n世界 -3.3 6.0"
    p = Passage("S#1", "S", "LEAD", text, 100, 100 + len(text))
    hits = [Hit(p.id, p.section, p.title, p.text, 1.0, p.start, p.end, 1)]
    q = Question("いつ創設？", "ja", ["創設"], None, answer_type("いつ創設されましたか", "ja"))
    prose, row = candidates(q, hits, _lines(p), IDF)
    assert prose.x[FEATURES.index("header")] == 0.0 and row.header is None  # no header for the row


def test_a_deadline_answers_by_when_and_an_event_date_answers_when():
    text = "• 20年7月、2030年までにサプライチェーンの100%カーボンニュートラル達成目標を発表。"
    p = Passage("S#1", "S", "グリーン調達", text, 100, 100 + len(text))
    hits = [Hit(p.id, p.section, p.title, p.text, 1.0, p.start, p.end, 1)]
    terms = ["サプライ", "チェーン", "カーボン", "ニュートラル", "達成", "目標", "発表"]

    def answer(question: str) -> str:
        q = Question(question, "ja", terms, None, answer_type(question, "ja"))
        (c,) = candidates(q, hits, _lines(p), IDF)
        return c.spans[pick_span(c, q)].text

    assert answer("サプライチェーンのカーボンニュートラル達成目標を発表したのはいつですか") == "20年7月"
    assert answer("いつまでにサプライチェーンのカーボンニュートラルを達成する目標ですか") == "2030年までに"
    q = Question("By what year is the supply chain to be carbon neutral?", "en", terms, None,
                 answer_type("By what year is the supply chain to be carbon neutral?", "en"))
    (c,) = candidates(q, hits, _lines(p), IDF)
    assert c.spans[pick_span(c, q)].text == "2030年までに"


def test_who_did_it_and_what_it_is_called_are_different_spans():
    text = "• 20年3月、豪州戦略政策研究所(ASPI)が、調査報告 “Uyghurs for\nSale” を公表。"
    p = Passage("S#1", "S", "人権", text, 100, 100 + len(text))
    hits = [Hit(p.id, p.section, p.title, p.text, 1.0, p.start, p.end, 1)]

    vecs = np.eye(1, 4, dtype=np.float32)
    one_line = lambda pid: (p, [(p.start, p.end)], vecs, vecs)  # noqa: E731 - the slide's sentence

    def answer(question: str, language: str, terms: list[str]) -> str:
        q = Question(question, language, terms, None, answer_type(question, language))
        (c,) = candidates(q, hits, one_line, IDF)
        return c.spans[pick_span(c, q)].text

    # the subject (「(ASPI)が」, past its bracket) did it; the title is the name of what it published
    assert answer("Which institute published the report?", "en", ["研究所", "調査", "報告", "公表"]) == "ASPI"
    title = answer("豪州戦略政策研究所が公表した調査報告の題名は何ですか", "ja",
                   ["豪州", "戦略", "政策", "研究所", "公表", "調査", "報告", "題名"])
    assert title == "Uyghurs for\nSale"  # the wrapped title whole; ASPI is the institute asked about
    # unless the other name is what is asked
    short = answer("豪州戦略政策研究所の略称は何ですか", "ja", ["豪州", "戦略", "政策", "研究所", "略称"])
    assert short == "ASPI"


def test_decide_orders_the_three_labels():
    lm = LanguageModel(None, None, abstain_at=0.8, hedge_at=0.5, second_margin=1.0)
    assert [decide(lm, p) for p in (0.1, 0.6, 0.9)] == ["high", "low", "abstain"]


def test_a_question_far_from_the_document_is_withheld():
    lm = LanguageModel(None, None, abstain_at=0.8, hedge_at=0.5, second_margin=1.0, confident_cos=0.8)
    assert decide(lm, 0.1, line_cos=0.85) == "high"
    assert decide(lm, 0.6, line_cos=0.85) == "low"
    # farther from the document than every answerable gold question: off topic, whatever p says
    assert decide(lm, 0.1, line_cos=0.75) == "abstain"
    assert decide(lm, 0.9, line_cos=0.75) == "abstain"


def test_a_question_in_words_the_document_never_uses_is_withheld():
    from types import SimpleNamespace

    from qa.fitting import held_out_untranslated, max_untranslated

    lm = LanguageModel(None, None, abstain_at=0.8, hedge_at=0.5, second_margin=1.0, max_untranslated=0.5)
    assert decide(lm, 0.1, untranslated=0.5) == "high"  # as unknown as the most unknown answerable one
    assert decide(lm, 0.1, untranslated=0.75) == "abstain"  # 東京の明日の天気: three words in four unknown

    def example(share: float, answerable: bool = True):
        gathered = SimpleNamespace(signals=SimpleNamespace(untranslated=share))
        return SimpleNamespace(item=SimpleNamespace(answerable=answerable), gathered=gathered)

    examples = [example(0.2), example(0.5), example(0.9, answerable=False), example(0.1)]
    assert max_untranslated(examples) == 0.5  # unanswerable questions do not set it
    folds = [("fold a", None), ("fold b", None)]
    models = [folds[0], folds[1], folds[0], folds[1]]
    # each example meets the largest share of the answerable examples of the other fold
    assert held_out_untranslated(examples, models) == [0.5, 0.2, 0.5, 0.2]


def test_thresholds_abstain_on_at_most_five_percent_of_answerable():
    rng = np.random.default_rng(0)
    p = np.r_[rng.uniform(0, 0.6, 100), rng.uniform(0.4, 1.0, 30)]
    unanswerable = np.r_[np.zeros(100, bool), np.ones(30, bool)]
    wrong = np.r_[p[:100] > 0.45, np.zeros(30, bool)]
    abstain_at, hedge_at = thresholds(p, unanswerable, wrong)
    assert (p[:100] >= abstain_at).mean() <= 0.05
    assert (p[100:] >= abstain_at).mean() > 0.3
    assert hedge_at <= abstain_at


def test_answerable_questions_the_guards_withhold_count_against_the_five_percent():
    rng = np.random.default_rng(0)
    p = np.r_[rng.uniform(0, 0.6, 100), rng.uniform(0.4, 1.0, 30)]
    unanswerable = np.r_[np.zeros(100, bool), np.ones(30, bool)]
    wrong = np.zeros(130, bool)
    guarded = np.zeros(130, bool)
    guarded[:3] = True  # three answerable questions an off-topic guard withholds anyway
    abstain_at, _ = thresholds(p, unanswerable, wrong, guarded)
    assert ((p[:100] >= abstain_at) | guarded[:100]).sum() <= 5
    assert abstain_at > thresholds(p, unanswerable, wrong)[0]  # fewer left to withhold by P
    guarded[:10] = True  # the guards alone exceed the budget: P withholds no answerable one
    abstain_at, _ = thresholds(p, unanswerable, wrong, guarded)
    assert not (p[:100][~guarded[:100]] >= abstain_at).any()


def test_choose_lines_adds_a_second_line_only_for_lists():
    p = _deck_passage()
    q_list = Question("重点6分野は何ですか", "ja", ["重点"], None,
                      answer_type("重点分野をすべて挙げてください", "ja"))
    q_one = Question("いくらですか", "ja", [], None, answer_type("投資額はいくらですか", "ja"))
    hits = [Hit(p.id, p.section, p.title, p.text, 1.0, p.start, p.end, 1)]
    cands = candidates(q_list, hits, _lines(p), IDF)
    scores = np.array([0.0, 5.0, 4.5])
    lm = LanguageModel(None, None, 1.0, 1.0, second_margin=1.0)
    assert q_list.answer_type.kind == "list"
    assert [c.position for c in choose_lines(cands, scores, q_list, lm)] == [1, 2]  # reading order
    assert [c.position for c in choose_lines(cands, scores, q_one, lm)] == [1]


def test_pick_span_prefers_the_table_column_of_the_question_year():
    from qa.features import Candidate

    row = "世界 -3.3 6.0"
    from qa.spans import table_cells

    cells = table_cells(row, "(%) 2020年 2021年")
    c = Candidate(_deck_passage(), 1, 0, 0, len(row), row, (0, 1), "(%) 2020年 2021年", None, row,
                  tuple(x.span for x in cells), tuple(x.column for x in cells), np.zeros(len(FEATURES)))
    q = Question("2021年の世界の成長率は？", "ja", [], None,
                 answer_type("2021年の世界の成長率は何％？", "ja"))
    i = pick_span(c, q)
    assert c.spans[i].text == "6.0" and c.columns[i] == "2021年"


def _row(text: str, header: str, position: int):
    from qa.features import Candidate
    from qa.spans import table_cells

    cells = table_cells(text, header)
    return Candidate(_deck_passage(), 1, position, 0, len(text), text, (0, 1), header, None, text,
                     tuple(x.span for x in cells), tuple(x.column for x in cells), np.zeros(len(FEATURES)))


def test_a_table_row_whose_label_the_question_names_takes_the_lead():
    from qa.answering import prefer_named_row

    header = "(%) 2020年 2021年 (%) 2020年 2021年"
    rows = [_row("先進国 -4.7 5.1 新興国・発展途上国 -2.2 6.7", header, 0),
            _row("米国 -3.5 6.4 中国 2.3 8.4", header, 1), _row("日本 -4.8 3.3", header, 2)]
    # "What growth did the IMF project for China?": its translations name 中国, and 発展 ("growth")
    # names no whole label (新興国・発展途上国)
    china = "What growth did the IMF project for China?"
    q = Question(china, "en", ["成長", "発展", "中国", "2021"], None, answer_type(china, "en"))
    scores = prefer_named_row(rows, np.array([3.0, 2.0, 1.0]), q)
    assert int(np.argmax(scores)) == 1
    i = pick_span(rows[1], Question("2021年の中国の成長率は何％？", "ja", ["中国", "成長", "率"], None,
                                    answer_type("2021年の中国の成長率は何％？", "ja")))
    assert rows[1].spans[i].text == "8.4" and rows[1].columns[i] == "2021年"  # not the US's 6.4
    # no row named: the ranker's order stands
    none = Question("成長", "ja", ["成長"], None, answer_type("成長率は？", "ja"))
    assert list(prefer_named_row(rows, np.array([3.0, 2.0, 1.0]), none)) == [3.0, 2.0, 1.0]


def test_a_fragment_never_leads_an_answer_in_words():
    from qa.answering import demote_fragments

    lines = ["世界", "（自由化）", "「大きな政府」が世界的潮流に。"]
    rows = [_row(text, "", i) for i, text in enumerate(lines)]
    what = "What kind of government became a worldwide trend?"
    q = Question(what, "en", ["世界", "政府"], None, answer_type(what, "en"))
    assert int(np.argmax(demote_fragments(rows, np.array([3.0, 2.5, 1.0]), q))) == 2
    # a question that wants a figure or a name may be answered by a short line
    which = "Which region?"
    named = Question(which, "en", ["世界"], None, answer_type(which, "en"))
    assert list(demote_fragments(rows, np.array([3.0, 2.5, 1.0]), named)) == [3.0, 2.5, 1.0]
    # only fragments: the ranker's order stands
    assert list(demote_fragments(rows[:2], np.array([1.0, 2.0]), q)) == [1.0, 2.0]


def test_the_abstention_model_is_fitted_on_the_scores_the_answer_uses():
    from qa.answering import Gathered, lead_scores
    from qa.confidence import Signals, question_features
    from qa.fitting import Example, _qx
    from qa.gold import GoldItem

    lines = ["世界", "「大きな政府」が世界的潮流に。"]
    rows = [_row(text, "", i) for i, text in enumerate(lines)]
    for i, r in enumerate(rows):
        r.x[FEATURES.index("lex")] = 1.0 - i  # the ranker puts the fragment first
    ranker = LinearModel(FEATURES, np.zeros(len(FEATURES)), np.ones(len(FEATURES)),
                         np.eye(len(FEATURES))[FEATURES.index("lex")])
    what = "What kind of government became a worldwide trend?"
    q = Question(what, "en", ["世界", "政府"], None, answer_type(what, "en"))
    signals = Signals([0.9], 0.9, frozenset(), frozenset(), "", 0.0, True)
    g = Gathered(q, rows, signals, IDF)
    item = GoldItem("q1", "en", what, "大きな政府", ("大きな政府",), (), "dev")
    scores = lead_scores(g, ranker)
    assert int(np.argmax(scores)) == 1 and int(np.argmax(ranker.score(np.stack([r.x for r in rows])))) == 0
    expected = question_features(q, signals, rows, scores, IDF)
    assert np.array_equal(_qx(Example(item, g, np.array([False, True]), "S"), ranker), expected)


def test_pick_span_prefers_the_name_next_to_the_question_words():
    from qa.features import Candidate
    from qa.segmenting import terms
    from qa.span_names import typed_spans
    from qa.spans import matches

    line = ("バイデン政権は外交政策での人権重視を掲げ、欧州とも連携して、"
            "新疆ウイグル自治区やミャンマー等に制裁を含む措置を実施。")
    question = "バイデン政権は人権問題でどこに対して制裁を実施しましたか。"
    kind = answer_type(question, "ja")
    spans = tuple(s for s in typed_spans(line) if matches(kind, s))
    assert "欧州" in [s.text for s in spans]  # the partner named first is not the answer
    c = Candidate(_deck_passage(), 1, 0, 0, len(line), line, None, "", None, line, spans,
                  ("",) * len(spans), np.zeros(len(FEATURES)))
    q = Question(question, "ja", terms(question), None, kind)
    assert c.spans[pick_span(c, q)].text in ("ミャンマー", "新疆ウイグル自治区")


@pytest.mark.parametrize("question,language,terms", [
    ("RE100に参加する日本企業は何社ですか", "ja", ["re100", "参加", "日本", "企業", "社"]),
    ("How many Japanese companies take part in RE100?", "en", ["日本", "企業", "参加", "re100"]),
])
def test_pick_span_prefers_the_count_whose_clause_names_the_question_s_subject(question, language, terms):
    from qa.features import Candidate
    from qa.span_names import typed_spans
    from qa.spans import matches

    line = "• 参加企業数は、現在、世界で309企業、日本\nは54企業にまで拡大（21年4月時点）"  # the deck's break
    kind = answer_type(question, language)
    spans = tuple(s for s in typed_spans(line) if matches(kind, s))
    assert [s.text for s in spans][:2] == ["309企業", "54企業"]
    c = Candidate(_deck_passage(), 1, 0, 0, len(line), line, None, "", None, line, spans,
                  ("",) * len(spans), np.zeros(len(FEATURES)))
    q = Question(question, language, terms, None, kind)
    assert c.spans[pick_span(c, q)].text == "54企業"  # 世界で309企業 is the world's count


def test_pick_span_skips_what_the_question_names_itself():
    from qa.features import Candidate
    from qa.span_names import typed_spans
    from qa.spans import matches

    line = "2020年６月以降、ASEANや中南米、アフリカ等をターゲットに「ワクチン外交」を本格化。"
    question = "Which regions did China target with its vaccine diplomacy?"
    kind = answer_type(question, "en")
    spans = tuple(s for s in typed_spans(line) if matches(kind, s))
    assert "ワクチン外交" in [s.text for s in spans]
    c = Candidate(_deck_passage(), 1, 0, 0, len(line), line, None, "", None, line, spans,
                  ("",) * len(spans), np.zeros(len(FEATURES)))
    # the question's translations name 「ワクチン外交」: it is what is asked about, not the answer
    q = Question(question, "en", ["中国", "ワクチン", "外交", "地域"], None, kind)
    assert c.spans[pick_span(c, q)].text == "ASEANや中南米、アフリカ"
    # a number is not named by a term it shares with the question (何年 and 10年)
    line = "※CVD措置の発動は過去10年なし"
    question = "日本ではCVD措置は過去何年発動されていませんか"
    kind = answer_type(question, "ja")
    spans = tuple(s for s in typed_spans(line) if matches(kind, s))
    c = Candidate(_deck_passage(), 1, 0, 0, len(line), line, None, "", None, line, spans,
                  ("",) * len(spans), np.zeros(len(FEATURES)))
    q = Question(question, "ja", ["cvd", "措置", "過去", "年", "発動"], None, kind)
    assert c.spans[pick_span(c, q)].text == "10年"


def test_a_name_holding_the_question_s_own_acronym_is_its_subject_not_its_answer():
    from qa.span_choice import asks_for
    from qa.span_names import name_spans

    line = "• 台湾TSMCはファーウェイ等との取引を停止する一方、アリゾナ工場の建設を決定。"
    spans = {s.text: s for s in name_spans(line)}
    for question in ("TSMCはどこに工場を建設する？", "Who is the CEO of TSMC?"):
        q = Question(question, "ja", ["tsmc", "工場", "建設"], None, answer_type(question, "ja"))
        assert asks_for(spans["台湾TSMC"], q) and not asks_for(spans["アリゾナ"], q)
    other = Question("どこに工場を建設する？", "ja", ["工場", "建設"], None, answer_type("どこ？", "ja"))
    assert not asks_for(spans["台湾TSMC"], other)


def test_a_value_under_a_label_the_question_names_is_quoted_with_its_label():
    text = "日英EPA\n・2021年１月発効\nCPTPP\n・2018年12月発効"
    p = Passage("S#1", "S", "EPA", text, 100, 100 + len(text))
    hits = [Hit(p.id, p.section, p.title, p.text, 1.0, p.start, p.end, 1)]
    question = "日英EPAの発効はいつ？"
    q = Question(question, "ja", ["日英", "epa", "発効"], None, answer_type(question, "ja"))
    cands = candidates(q, hits, _lines(p), IDF)
    lm = LanguageModel(None, None, 1.0, 1.0, second_margin=0.0)
    assert [c.position for c in choose_lines(cands, np.array([0.0, 5.0, 0.0, 1.0]), q, lm)] == [0, 1]
    # a label the question does not name is not quoted
    assert [c.position for c in choose_lines(cands, np.array([0.0, 1.0, 0.0, 5.0]), q, lm)] == [3]


def test_a_list_of_names_renders_in_english_only_when_every_name_has_an_english_form():
    from qa.lexicon import Entry, Lexicon
    from qa.span_names import typed_spans

    lexicon = Lexicon({"中南米": Entry(("中南米",), True, 1, ("Central and South America",), "word"),
                       "アフリカ": Entry(("アフリカ",), True, 1, ("Africa",), "word")}, {})
    span = next(s for s in typed_spans("ASEANや中南米、アフリカ等") if s.kind == "list")
    assert short_answer(span, "", "en", lexicon).english == "ASEAN, Central and South America, Africa"
    span = next(s for s in typed_spans("ASEANや中南米、ナミビア等") if s.kind == "list")
    assert short_answer(span, "", "en", lexicon).english == ""  # ナミビア: no entry, no guess
    # the one-character forms the deck writes a group of countries with
    span = next(s for s in typed_spans("QUAD（日・米・豪・印）首脳会合") if s.kind == "list")
    assert short_answer(span, "", "en", lexicon).english == "Japan, US, Australia, India"
    # ... before what the dictionary says of the character alone (仏 "Buddha")
    lexicon.entries["仏"] = Entry(("仏",), True, 1, ("Buddha",), "word")
    span = next(s for s in typed_spans("• 仏・英などの多くの諸外国がDSTを暫定的に導入。") if s.kind == "list")
    assert short_answer(span, "", "en", lexicon).english == "France, UK"


def test_short_answers_render_without_inventing():
    span = numeric_spans("総計６兆ドル規模")[0]
    assert short_answer(span, "", "ja").shown("ja") == span.text
    en = short_answer(span, "", "en")
    assert "USD 6 trillion" in en.english and en.shown("en") == f"{en.english} ({span.text})"
    cell = numeric_spans("6.0")[0]
    assert short_answer(cell, "2021年", "ja").text.endswith("（2021年）")
    pct = Span("percentage", "6.0", 0, 3, 6.0, "%")  # a cell under a (%) header
    assert short_answer(pct, "2021年", "en").shown("en") == "6.0% (2021) (6.0％（2021年）)"
    assert short_answer(pct, "世界", "en").english == "6.0% (世界)"  # a label is not translated


def test_compose_wording_follows_language_and_confidence():
    quotes = [Quote(1, "米国「救済」計画（1.9兆ドル。")]
    high = compose("ja", "high", quotes, ShortAnswer("1.9兆ドル"))
    assert high == "1.9兆ドルです。資料には「米国「救済」計画（1.9兆ドル。」[1]とあります。"
    low = compose("ja", "low", quotes)
    assert low.startswith("資料に直接の記載は見当たりませんが") and "[1]" in low
    gloss = f"{GLOSSARY_LABEL}: 計画 = plan"
    en = compose("en", "high", quotes, ShortAnswer("1.9兆ドル", "USD 1.9 trillion"), gloss)
    assert en.startswith("USD 1.9 trillion (1.9兆ドル). The document says: 「") and en.endswith("計画 = plan")
    assert compose("en", "low", quotes).startswith("The document does not state this directly")


def test_span_context_reads_what_the_question_names_around_the_figure():
    from qa.confidence import span_context
    from qa.features import Candidate
    from qa.span_names import typed_spans
    from qa.spans import matches

    def top(line: str, kind) -> Candidate:
        spans = tuple(s for s in typed_spans(line) if matches(kind, s))
        return Candidate(_deck_passage(), 1, 0, 0, len(line), line, None, "", None, line, spans,
                         ("",) * len(spans), np.zeros(len(FEATURES)))

    question = "グリーンイノベーション基金の予算はいくらですか"
    kind = answer_type(question, "ja")
    q = Question(question, "ja", ["グリーン", "イノベーション", "基金", "予算"], None, kind)
    idf = {"グリーン": 2.0, "イノベーション": 3.0, "基金": 2.0, "予算": 1.0}
    near = top("グリーンイノベーション基金として2兆円の予算を確保。", kind)
    far = top("英国はグリーン産業革命の計画で120億ポンドを投資", kind)
    assert span_context(q, near, idf) == 1.0
    assert span_context(q, far, idf) == 0.25  # only グリーン (2 of 8) near the figure
    assert span_context(q, top("基金の創設。", kind), idf) == 0.0  # no figure at all
    # a word the document never uses is missing at the rarest IDF, not left out
    where = "オーストラリアの首都はどこですか。"
    off = Question(where, "ja", ["オーストラリア", "首都"], None, answer_type(where, "ja"))
    jakarta = top("ジャカルタ首都圏の交通渋滞により、交通事故が多発。", off.answer_type)
    assert span_context(off, jakarta, {"首都": 2.0, "交通": 1.0}) == 0.5
    # no typed fact wanted, or an English question (translated terms): no signal
    what = Question("基金とは", "ja", ["基金"], None, answer_type("基金とは何ですか", "ja"))
    assert span_context(what, far, idf) == 1.0
    en = Question("What is the fund's budget?", "en", ["基金", "予算"], None,
                  answer_type("What is the fund's budget?", "en"))
    assert span_context(en, far, idf) == 1.0


def _question_and_lines(text: str, question: str, idf: dict[str, float]):
    p = Passage("S#1", "S", "slide", text, 100, 100 + len(text))
    hits = [Hit(p.id, p.section, p.title, p.text, 1.0, p.start, p.end, 1)]
    q = Question(question, "ja", [t for t in idf if t in question], None, answer_type(question, "ja"))
    return q, candidates(q, hits, _lines(p), idf)


def test_a_value_on_its_own_line_takes_its_context_from_the_label_above():
    from qa.confidence import span_context

    idf = {"グリーン": 2.0, "イノベーション": 3.0, "基金": 2.0, "予算": 1.0, "英国": 1.0}
    q, (label, value, other) = _question_and_lines(
        "「グリーンイノベーション基金」\n（2兆円）\n英国は120億ポンドを投資",
        "グリーンイノベーション基金の予算はいくらですか", idf)
    assert span_context(q, value, idf, [label, value, other]) == 7 / 8  # all but 予算
    assert span_context(q, value, idf) == 0.0  # without the lines around it
    assert span_context(q, other, idf, [label, value, other]) == 0.0  # a line with words of its own


def test_an_aside_in_brackets_takes_its_context_from_the_line_above():
    from qa.confidence import span_context

    idf = {"中国": 1.0, "無税": 3.0, "品目": 2.0, "割合": 2.0}
    q, (above, aside) = _question_and_lines(
        "日本から中国への無税品目の割合が上昇\n（中国：8%→86%、韓国：19%→92%）",
        "中国への無税品目の割合は何％ですか", idf)
    assert span_context(q, aside, idf, [above, aside]) == 1.0
    assert span_context(q, aside, idf) == 1 / 8  # alone: only 中国 near its figures


def test_a_line_the_slide_broke_mid_word_reads_on_into_the_next():
    from qa.answering import _citations, wraps_into
    from qa.confidence import span_context

    idf = {"米国": 1.0, "類似": 3.0, "制度": 2.0, "導入": 2.0, "課税": 2.0}
    q, (cut, rest, other) = _question_and_lines(
        "• 米国では2017年に米国内の産業・雇\n用を守る観点から類似制度を導入済。\n課税は2023年から",
        "米国が類似制度を導入したのはいつですか", idf)
    assert wraps_into(cut, rest) and not wraps_into(rest, other)
    assert span_context(q, cut, idf, [cut, rest, other]) == 1.0  # 類似制度を導入 is what 2017年 is about
    assert span_context(q, cut, idf) == 1 / 8  # alone: only 米国 near the year
    lm = LanguageModel(None, None, 1.0, 1.0, second_margin=0.0)
    chosen = choose_lines([cut, rest, other], np.array([5.0, 1.0, 0.0]), q, lm)
    assert [c.position for c in chosen] == [0, 1]
    # the deck has a blank line at that break: one quote all the same, the broken word whole
    text = "• 米国では2017年に米国内の産業・雇\n\n用を守る観点から類似制度を導入済。"
    p = Passage("S#1", "S", "slide", text, 100, 100 + len(text))
    a = text.index("\n")
    spans = [(100, 100 + a), (100 + a + 2, 100 + len(text))]
    vecs = np.eye(2, 4, dtype=np.float32)
    hit = Hit(p.id, p.section, p.title, p.text, 1.0, p.start, p.end, 1)
    cut, rest = candidates(q, [hit], lambda pid: (p, spans, vecs, vecs), idf)
    cites, quotes = _citations([cut, rest])
    assert [x.text for x in quotes] == [text.replace("\n\n", "")]
    assert len(cites) == 1 and cites[0].quote == text  # the citation is the source as it is


def test_near_miss_details_are_found_missing():
    text = "RE100の参加企業数は、現在、世界で309企業、日本は54企業（21年4月時点）。18年3月時点で世界131企業"
    assert missing_numbers("RE100の参加企業数は2019年時点で何社？", text) == 1
    assert missing_numbers("2021年4月時点の参加企業数は？", text) == 0  # 21年 is how the deck writes 2021
    assert missing_names("ASEAN5の成長率は？", "ASEANの成長") == 1
    assert missing_names("What does the document say about trade?", "貿易", "en") == 0
    assert not has_content(["2021"]) and has_content(["半導体"])


def test_a_country_in_another_spelling_or_a_name_restated_in_brackets_is_one_thing_asked():
    from qa.country_names import with_deck_spellings
    from qa.segmenting import terms

    question = "イギリスがTPP11（環太平洋パートナーシップ協定）に加入申請したのはいつ？"
    asked = with_deck_spellings(question, terms(question))
    assert "英国" in asked  # the deck writes 英国: BM25 looks for it too
    groups = term_groups(question, asked)
    assert ("イギリス", "英国") in groups  # either spelling will do
    restated = next(g for g in groups if "tpp11" in g)
    assert {"環", "太平洋", "パートナーシップ", "協定"} <= set(restated)  # the name or its aside
    assert ("加入",) in groups and not any("英国" in g and len(g) == 1 for g in groups)
    # the deck's own spelling alone is one group; missing only when neither name occurs
    assert term_groups("英国の首相", ["英国", "首相"]) == (("英国",), ("首相",))
    latin_america = "ラテンアメリカの成長率は？"  # no country: not 米国
    assert "米国" not in with_deck_spellings(latin_america, terms(latin_america))
    assert all(len(g) == 1 for g in term_groups(latin_america, terms(latin_america)))
    idf = {"英国": 3.0, "加入": 2.0, "tpp11": 5.0, "協定": 1.0, "申請": 2.0}
    assert missing_idf(groups, frozenset({"英国", "加入", "協定", "申請", "為る"}), idf) == 0.0


def test_the_line_that_writes_the_question_s_date_is_marked():
    from qa.text import numbers_written, question_numbers

    asked = question_numbers("How many companies had joined RE100 as of March 2018?")
    assert numbers_written(asked, "（18年3月時点で世界131企業、日本6企業）") == 1.0  # 2018 as 18年
    assert numbers_written(asked, "世界で309企業、日本は54企業にまで拡大（21年4月時点）") == 0.0
    assert numbers_written(question_numbers("2020年と2021年の成長率は？"), "2021年 6.0") == 0.5
    assert question_numbers("What is RE100 and G7?") == set()  # a name's digits are the name's
    assert numbers_written(set(), "2021年") == 0.0  # no numbers asked: no signal


def test_a_line_that_spells_the_acronym_out_leads_in_the_reader_s_script():
    from qa.answering import expansion_of, prefer_expansion, spelled_out
    from qa.features import Candidate

    lines = ["CBPRは、APECにおける任意参加のプライバシー保護枠組み",
             "APEC越境プライバシールール（CBPR）の活用",
             "CBPR: Cross-Border Privacy Rules"]
    x = np.zeros(len(FEATURES))
    cands = [Candidate(_deck_passage(), 1, j, 0, len(t), t, None, "", None, t, (), (), x)
             for j, t in enumerate(lines)]
    scores = np.array([3.0, 1.0, 0.5])
    assert int(np.argmax(prefer_expansion(scores, spelled_out(cands, "CBPR", "en"), "en"))) == 2
    assert int(np.argmax(prefer_expansion(scores, spelled_out(cands, "CBPR", "ja"), "ja"))) == 1
    assert expansion_of(cands[0], "CBPR", "en") is None
    assert spelled_out(cands, "RCEP", "en") == {}
    assert list(prefer_expansion(scores, {}, "en")) == list(scores)  # nothing spelled out


def test_a_thousands_comma_does_not_end_a_clause():
    from qa.span_choice import in_clause
    from qa.spans import numeric_spans

    line = "尼政府は、経済損失額を100兆ルピア（約\n7,717億円）と公表"
    rupiah, yen = numeric_spans(line)
    asked = {"政府", "経済", "損失", "額", "公表"}
    # both figures sit in one clause (経済損失額を…と公表): 7,717's comma does not cut 公表 off
    assert in_clause(line, rupiah, asked) == in_clause(line, yen, asked) == 4


def test_a_bracketed_aside_belongs_to_the_whole_sentence_not_one_clause():
    from qa.span_choice import in_clause, pick_span
    from qa.spans import numeric_spans

    line = "• 参加企業数は、現在、世界で309企業、日本は54企業にまで拡大（21年4月時点）"
    world, japan = [s for s in numeric_spans(line) if s.kind == "count"]
    asked = {"世界", "企業", "4", "月"}  # "companies worldwide as of April"
    assert in_clause(line, world, asked) == 2 and in_clause(line, japan, asked) == 1
    assert in_clause(line, japan, asked | {"日本"}) == 2
    question = "How many companies worldwide had joined RE100 as of April 2021?"
    q = Question(question, "en", sorted(asked), None, answer_type(question, "en"))
    hit = Hit("S#1", "S", "RE100", line, 1.0, 0, len(line), 1)
    p = Passage("S#1", "S", "RE100", line, 0, len(line))
    cand = candidates(q, [hit], _lines(p), IDF)[0]
    assert cand.spans[pick_span(cand, q)].text == "309企業"


def test_a_label_before_a_colon_names_every_item_of_its_line():
    from qa.span_choice import in_clause
    from qa.spans import numeric_spans

    line = ("※承認国・地域数：シノファーム（中）35、シノバック（中）22、\n"
            "アストラゼネカ（英）89、ファイザー（米）80")
    sino, _, astra, _ = numeric_spans(line)
    asked = {"国", "地域", "アストラゼネカ"}  # AstraZeneca, as the dictionary segments it alone
    assert in_clause(line, sino, asked) == 0  # the label counts for no single item
    assert in_clause(line, astra, asked) == 1  # Sudachi reads アストラ|ゼネカ（英） here: matched as written


def test_a_figure_s_own_qualifier_counts_for_its_clause():
    from qa.features import Candidate
    from qa.span_names import typed_spans
    from qa.spans import matches

    line = "先導性のある４分野の融資保険のカバー率を最大１００％（通常９０％）に引き上げ"
    question = "What is the maximum coverage ratio of loan insurance under LEAD?"
    kind = answer_type(question, "en")
    spans = tuple(s for s in typed_spans(line) if matches(kind, s))
    assert [s.text for s in spans] == ["最大１００％", "９０％"]
    c = Candidate(_deck_passage(), 1, 0, 0, len(line), line, None, "", None, line, spans,
                  ("",) * len(spans), np.zeros(len(FEATURES)))
    q = Question(question, "en", ["最大", "融資", "保険", "カバー", "率", "lead"], None, kind)
    assert c.spans[pick_span(c, q)].text == "最大１００％"  # its own 最大 is what was asked


def _passage_lines(text: str, pid: str = "S#1", start: int = 100, title: str = "経済安全保障") -> tuple:
    p = Passage(pid, "S", title, text, start, start + len(text))
    return p, Hit(p.id, p.section, p.title, p.text, 1.0, p.start, p.end, 1)


def test_a_heading_over_a_bare_date_brings_what_it_says_under_both():
    text = "バイデン大統領の演説\n（21年4月）\n「中国と競争するが、紛争を求めない」と明示。\n次の話題の見出し"
    p, hit = _passage_lines(text)
    question = "バイデン大統領は演説で中国についてどう述べましたか"
    q = Question(question, "ja", ["バイデン", "演説", "中国"], None, answer_type(question, "ja"))
    cands = candidates(q, [hit], _lines(p), IDF)
    lm = LanguageModel(None, None, 1.0, 1.0, second_margin=0.0)
    scores = np.array([5.0, 1.0, 0.0, -1.0])
    assert [c.position for c in choose_lines(cands, scores, q, lm)] == [0, 1, 2]
    # a two-part question that already chose the statement quotes it once
    two = Question(question, "ja", q.terms, None, AnswerType("definition", also=("date",)))
    lm_two = LanguageModel(None, None, 1.0, 1.0, second_margin=9.0)
    two_scores = np.array([5.0, -1.0, 4.0, -2.0])
    assert [c.position for c in choose_lines(cands, two_scores, two, lm_two)] == [0, 1, 2]
    # under a heading with a statement right below, nothing more
    p, hit = _passage_lines(text.replace("（21年4月）\n", ""))
    cands = candidates(q, [hit], _lines(p), IDF)
    assert [c.position for c in choose_lines(cands, np.array([5.0, 1.0, 0.0]), q, lm)] == [0, 1]


def _heading_then_passage():
    top, hit = _passage_lines("中国は自立を掲げる。\n• 国家科学技術プロジェクト", "S#1", 0)
    below = Passage("S#2", "S", top.title, "→AI、量子情報、集積回路等", top.end + 1, top.end + 15)
    by_id = {p.id: p for p in (top, below)}
    return top, below, hit, (lambda pid: _lines(by_id[pid])(pid))


@pytest.mark.parametrize("language, question, continued", [
    ("ja", "中国の国家科学技術プロジェクトの対象分野は何ですか", True),
    ("en", "What fields do China's national science and technology projects cover?", False),
])
def test_a_heading_that_ends_a_passage_leads_japanese_questions_to_the_next(language, question, continued):
    top, below, hit, lines = _heading_then_passage()
    terms = ["国家", "科学", "技術", "プロジェクト"]
    q = Question(question, language, terms, None, answer_type(question, language))
    cands = candidates(q, [hit], lines, IDF, following=lambda pid: below if pid == top.id else None)
    assert ("S#2" in {c.passage.id for c in cands}) == continued
    if continued:  # and the heading, when it leads, brings the next passage's first line
        lm = LanguageModel(None, None, 1.0, 1.0, second_margin=0.0)
        chosen = choose_lines(cands, np.array([0.0, 5.0, 1.0]), q, lm)
        assert [c.text for c in chosen] == ["• 国家科学技術プロジェクト", "→AI、量子情報、集積回路等"]


def test_a_line_holding_only_the_question_s_figure_leaves_the_short_answer_to_the_line_quoted_with_it():
    from qa.answering import answering_span

    p, hit = _passage_lines("外国子会社の実効税負担率10％\n→15-10=5％分を親会社で課税")
    question = "外国子会社の実効税負担率が10％の場合、親会社で何％分課税されますか"
    q = Question(question, "ja", ["外国", "子会社", "税", "負担", "親会社", "課税"], None,
                 answer_type(question, "ja"))
    first, second = candidates(q, [hit], _lines(p), IDF)
    line, i = answering_span(first, [first, second], q)
    assert line is second and second.spans[i].text == "5％"
    assert answering_span(first, [first], q) == (first, None)  # nothing else quoted: no short answer
    # a list or a name comes from the best line only: a list in another line is another list
    p, hit = _passage_lines("環境計測機器\n太陽光パネル、風力発電機、大型ガスタービン等")
    question = "環境計測機器の例は何ですか"
    q = Question(question, "ja", ["環境", "計測", "機器"], None, answer_type(question, "ja"))
    heading, listed = candidates(q, [hit], _lines(p), IDF)
    assert listed.spans and answering_span(heading, [heading, listed], q) == (heading, None)


def test_an_acronym_the_question_spells_out_is_asked_about_not_an_answer():
    from qa.span_choice import asks_for
    from qa.span_names import name_spans, spelled_in

    line = "第三者であるCBPR認証団体が各事業者に対して審査・認証を行う（日本はJIPDEC）"
    spans = {s.text: s for s in name_spans(line)}
    question = "Which organisation audits and certifies companies for APEC cross-border privacy rules?"
    q = Question(question, "en", ["認証", "団体"], None, answer_type(question, "en"))
    assert asks_for(spans["CBPR"], q) and not asks_for(spans["JIPDEC"], q)
    assert spelled_in("DFFT", "What is Data Free Flow with Trust?")  # small words skipped
    assert not spelled_in("CBPR", "cross-border rules")  # a run of initials, in order
    assert not spelled_in("EC", "electronic commerce")  # two initials match too often by chance


def test_the_listwise_ranker_learns_which_feature_marks_the_answer_line():
    from types import SimpleNamespace

    from qa.fitting import Example, fit_ranker
    from qa.gold import GoldItem

    rng = np.random.default_rng(0)
    marker, noise = FEATURES.index("type_match"), FEATURES.index("length")

    def example(i: int) -> Example:
        x = rng.normal(size=(12, len(FEATURES)))
        answer = int(rng.integers(12))
        x[:, marker] = rng.normal(size=12) * 0.3
        x[answer, marker] += 2.0  # the answer line holds a span of the asked type
        item = GoldItem(f"q{i}", "ja", "質問", "答え", ("答え",), (), "dev")
        cands = [SimpleNamespace(x=row) for row in x]
        return Example(item, SimpleNamespace(candidates=cands), np.arange(12) == answer, f"S{i}")

    train, test = [example(i) for i in range(60)], [example(i) for i in range(60, 100)]
    ranker = fit_ranker(train, c=0.3)
    assert int(np.argmax(ranker.coef)) == marker and ranker.coef[marker] > 5 * abs(ranker.coef[noise])
    top = [bool(e.labels[int(np.argmax(ranker.score(np.stack([c.x for c in e.gathered.candidates]))))])
           for e in test]
    assert sum(top) >= 36  # nine in ten held-out questions get their answer line first
    # a stronger penalty shrinks the weights
    assert np.linalg.norm(fit_ranker(train, c=0.003).coef) < np.linalg.norm(ranker.coef)


def test_a_chart_caption_labels_its_value_across_a_source_note_and_a_link():
    from qa.confidence import span_context
    from qa.line_layout import labels_above

    text = ("2050年までのカーボンニュートラルを表明した国\n（資料）国連への長期戦略提出状況等を受けて作成\n"
            "https://climateaction.unfccc.int/views/details.html?id=94\n125カ国")
    idf = {"2050": 2.0, "カーボン": 3.0, "ニュートラル": 3.0, "表明": 2.0, "国": 1.0}
    q, lines = _question_and_lines(text, "2050年までのカーボンニュートラルを表明した国の数は？", idf)
    caption, source, link, value = lines
    assert labels_above([c.text for c in lines], 3, 2) == [0]  # the note and the link are skipped
    f = {name: i for i, name in enumerate(FEATURES)}
    assert value.x[f["prev_lex"]] == 1.0 and value.spans[0].text == "125カ国"
    assert not link.spans  # id=94 counts nothing
    assert span_context(q, value, idf, lines) == 1.0  # what the value counts is the caption's
    assert labels_above(["見出し", "本文", "値"], 2, 2) == [1, 0]  # ordinary lines all count


def test_reshuffled_folds_keep_each_slide_in_one_fold_and_differ_by_seed():
    from types import SimpleNamespace

    from qa.fitting import shuffled_folds

    examples = [SimpleNamespace(group=f"slide{i % 12}") for i in range(60)]
    for seed in (1, 2):
        folds = shuffled_folds(seed)(examples)
        tested = sorted(i for _, test in folds for i in test)
        assert tested == list(range(60))  # every example is held out exactly once
        for train, test in folds:
            assert not {examples[i].group for i in train} & {examples[i].group for i in test}
    assert shuffled_folds(1)(examples) != shuffled_folds(2)(examples)


def test_a_passage_s_first_line_takes_its_label_from_the_end_of_the_passage_above():
    top, _ = _passage_lines("日英EPA\n・2021年１月発効\nCPTPP", "S#1", 0, "EPA")
    value, hit = _passage_lines("・2018年12月発効", "S#2", top.end + 1, "EPA")
    by_id = {p.id: p for p in (top, value)}
    question = "CPTPPが発効したのはいつですか"
    q = Question(question, "ja", ["cptpp", "発効"], None, answer_type(question, "ja"))
    idf = {"cptpp": 3.0, "発効": 1.0, "日英": 2.0, "epa": 2.0}
    lines = lambda pid: _lines(by_id[pid])(pid)  # noqa: E731
    f = {name: i for i, name in enumerate(FEATURES)}
    alone = candidates(q, [hit], lines, idf)
    assert alone[0].x[f["prev_lex"]] == 0.0  # no passage above: nothing labels it
    [line] = candidates(q, [hit], lines, idf, previous=lambda pid: top if pid == "S#2" else None)
    assert line.x[f["prev_lex"]] == 1.0 and line.x[f["context_lex"]] == 1.0  # 「CPTPP」 labels it


def test_a_name_the_best_line_lacks_comes_from_the_label_over_it():
    from qa.answering import answering_span

    text = "＜IHIの取り組み＞\n・衛星AIS技術とAIを使い、世界のコンテナ船を追跡。"
    p, hit = _passage_lines(text, title="サプライチェーン")
    lm = LanguageModel(None, None, 1.0, 1.0, second_margin=0.0)
    terms = ["衛星", "ais", "ai", "コンテナ船", "追跡"]
    for question in ("衛星AISとAIでコンテナ船を追跡する日本企業はどこ？",
                     "Which Japanese firm uses satellite AIS and AI to follow container ships?"):
        language = "ja" if question.endswith("？") else "en"
        q = Question(question, language, terms, None, answer_type(question, language))
        cands = candidates(q, [hit], _lines(p), IDF)
        chosen = choose_lines(cands, np.array([1.0, 5.0]), q, lm)
        assert [c.position for c in chosen] == [0, 1]  # the label is quoted with the line
        line, i = answering_span(cands[1], chosen, q)
        assert line.position == 0 and line.spans[i].text == "IHI"
    # a question that does not ask for a name keeps to the best line
    what = "衛星AISとAIで何をしていますか"
    q = Question(what, "ja", ["衛星", "ais", "ai"], None, answer_type(what, "ja"))
    cands = candidates(q, [hit], _lines(p), IDF)
    assert [c.position for c in choose_lines(cands, np.array([1.0, 5.0]), q, lm)][-1] == 1
    assert answering_span(cands[1], [cands[1]], q)[1] is None
