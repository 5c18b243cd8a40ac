"""Unit tests of the pipeline stages on tiny data with the deterministic fake embedder."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from qa.chain import Assistant, is_follow_up, offline_condense
from qa.chunking import chunk, find_sections, normalise_section_id, sentence_spans
from qa.citations import check, cite, is_valid, locate
from qa.config import Config
from qa.errors import ModeError, QuestionError
from qa.fusion import rrf
from qa.questions import clean_question, detect_language, normalise_history
from qa.records import Answer
from qa.retrieving import Retriever
from qa.segmenting import pieces, terms
from qa.text import join_with_map

SLIDES = (
    " Ⅰ．コロナ危機への対応\n"
    "  世界経済は回復基調の見込み。しかし、途上\n国の回復は遅れる。\n\n"
    "Ⅰｰ1．長期化するウィズコロナ時代\n\n(%) 2020年 2021年\n\n世界 -3.3 6.0\n\n"
    " 各国は歳出を大幅に増やした。\n\n"
    " Ⅱ－３②．サプライチェーン強靱化（EU）\n EUは電池や半導体を分析。\n"
)


def test_section_ids_are_normalised_across_dash_and_digit_widths():
    assert normalise_section_id("Ⅳ", "３", "②") == "Ⅳ-3②"
    ids = [s.id for s in find_sections(SLIDES)]
    assert ids == ["Ⅰ-1", "Ⅱ-3②"]  # the bare part title joins the slide after it


def test_summary_bullets_before_a_heading_belong_to_its_slide():
    sections = find_sections(SLIDES)
    first = SLIDES[sections[0].start:sections[0].end]
    assert "世界経済は回復基調" in first and "世界 -3.3 6.0" in first
    assert "EUは電池" in SLIDES[sections[1].start:sections[1].end]


def test_lines_broken_mid_word_are_joined_and_offsets_map_back():
    raw = "今後、途上\n国の経済回復に足かせ。\n\n 新しい段落"
    clean, where = join_with_map(raw)
    assert "途上国の経済回復" in clean
    assert "\n新しい段落" in clean
    assert all(raw[where[i]] == ch for i, ch in enumerate(clean) if ch != "\n")


def test_sentence_spans_split_on_kuten_and_table_rows():
    spans = sentence_spans(SLIDES, 0, len(SLIDES))
    texts = [SLIDES[a:b] for a, b in spans]
    assert "世界 -3.3 6.0" in texts
    assert "しかし、途上\n国の回復は遅れる。" in texts


def test_passages_keep_slides_apart_and_quote_the_source_verbatim():
    passages = chunk(SLIDES, "deck.txt")
    assert {p.section for p in passages} == {"Ⅰ-1", "Ⅱ-3②"}
    for p in passages:
        assert SLIDES[p.start:p.end] == p.text
    assert len({p.id for p in passages}) == len(passages)


def test_terms_are_normalised_content_words():
    out = terms("サプライチェーンの強靱化と6.0%の成長、the EU growth")
    assert "強靭" in out  # 強靱 folded by Sudachi's normalised form
    assert "6.0" in out and "eu" in out and "growth" in out
    assert "の" not in out and "the" not in out


def test_long_text_is_cut_into_pieces_sudachi_accepts():
    text = "あ" * 10_000 + "。" + "い" * 10
    cut = list(pieces(text, limit=4000))
    assert "".join(p for _, p in cut) == text
    assert max(len(p) for _, p in cut) <= 4000
    assert terms("経済" * 30_000)  # no Sudachi input-size error


def test_language_detection():
    assert detect_language("WTO改革の方向性は？") == "ja"
    assert detect_language("What is the aim of WTO reform?") == "en"
    assert detect_language("2021") == "en"


def test_questions_are_cleaned_and_long_ones_truncated_with_a_notice():
    with pytest.raises(QuestionError):
        clean_question(" \t\x00 ")
    long = clean_question("経済" * 60_000)
    assert len(long.text) == 1000 and "120,000" in long.notice


def test_rrf_rewards_agreement_and_respects_weights():
    fused = rrf([[1, 2, 3], [3, 2]], [1.0, 1.0], k=5)
    assert [d for d, _ in fused][:2] == [2, 3] or [d for d, _ in fused][0] in (2, 3)
    only_dense = rrf([[1, 2], [2, 1]], [1.0, 0.0], k=5)
    assert only_dense[0][0] == 1


def test_citations_are_checked_against_passage_and_source(tiny_corpus):
    text = (tiny_corpus / "deck.txt").read_text(encoding="utf-8")
    p = chunk(text, "deck.txt")[0]
    span = locate("世界経済は、コロナ危機から回復基調の見込み", p)
    assert span is not None
    good = cite(1, p, *span)
    assert is_valid(good, p, text)
    shifted = cite(2, p, span[0] + 1, span[1] + 1)
    forged = type(good)(3, p.id, p.section, p.title, "捏造された引用", span[0], span[1])
    kept = check([good, shifted, forged], {p.id: p}, {"deck.txt": text})
    assert [c.quote for c in kept] == [good.quote, shifted.quote]
    assert not is_valid(forged, p, text)


def test_retriever_modes_and_langchain_adapter(tiny_index, tiny_corpus, fake_embedder):
    r = Retriever.load(index_dir=tiny_index, embedder=fake_embedder, corpus_dir=tiny_corpus)
    for mode in ("hybrid", "dense", "bm25"):
        hits = r.search("WTOの紛争解決制度", k=2, mode=mode)
        assert hits[0].section == "Ⅱ-1", mode
        assert [h.rank for h in hits] == list(range(1, len(hits) + 1)) and len(hits) <= 2
    with pytest.raises(ModeError):
        r.search("WTO", mode="fuzzy")
    docs = r.as_langchain(k=1).invoke("WTOの紛争解決制度")
    assert docs[0].metadata["section"] == "Ⅱ-1" and docs[0].metadata["start"] >= 0


def test_english_query_is_not_drowned_by_bm25(tiny_index, tiny_corpus, fake_embedder):
    r = Retriever.load(index_dir=tiny_index, embedder=fake_embedder, corpus_dir=tiny_corpus)
    ranked = r.rank("what about the digital trade rules")
    assert ranked.bm25 == [] or len(ranked.matched_terms) <= len(ranked.query_terms)
    assert r.search("what about the digital trade rules", k=3)  # dense still answers


def _assistant(tiny_index, tiny_corpus, fake_embedder) -> Assistant:
    r = Retriever.load(index_dir=tiny_index, embedder=fake_embedder, corpus_dir=tiny_corpus)
    cfg = Config.from_env(index_dir=tiny_index, corpus_dir=tiny_corpus)
    return Assistant(r, "extractive", cfg)


def test_assistant_answers_with_verified_citations(tiny_index, tiny_corpus, fake_embedder):
    a = _assistant(tiny_index, tiny_corpus, fake_embedder)
    ans = a.ask("電子商取引の交渉には何か国が参加？")
    source = (tiny_corpus / "deck.txt").read_text(encoding="utf-8")
    assert ans.language == "ja" and ans.passages
    if not ans.abstained:
        assert ans.citations
        for c in ans.citations:
            assert source[c.start:c.end] == c.quote
            assert f"[{c.n}]" in ans.answer


def test_stream_yields_text_then_the_answer(tiny_index, tiny_corpus, fake_embedder):
    a = _assistant(tiny_index, tiny_corpus, fake_embedder)
    items = list(a.stream("WTO reform: what does Japan lead?"))
    assert isinstance(items[-1], Answer)
    assert "".join(i for i in items[:-1]) == items[-1].answer
    assert items[-1].language == "en"


def test_follow_ups_carry_the_previous_question():
    history = normalise_history([{"role": "user", "content": "G7サミットはどこで開催？"},
                                 {"role": "assistant", "content": "コーンウォール"}])
    assert history == [("G7サミットはどこで開催？", "コーンウォール")]
    assert is_follow_up("それはいつ？", "ja") and is_follow_up("and for China?", "en")
    assert offline_condense("それはいつ？", history, "ja").startswith("G7サミット")
    assert offline_condense("EUの電池戦略の内容を詳しく説明してください", history, "ja").startswith("EU")


def test_cli_search_json_and_user_errors(tiny_index, tiny_corpus, monkeypatch):
    from qa.cli import app

    monkeypatch.setenv("QA_CORPUS_DIR", str(tiny_corpus))
    runner = CliRunner()
    out = runner.invoke(app, ["search", "WTO", "--index", str(tiny_index), "--mode", "bm25", "--json"])
    # the tiny index was built with the fake embedder, so loading it for the default model is refused
    assert out.exit_code == 2 and "fake:hashing-64" in out.output
    empty = runner.invoke(app, ["search", "   ", "--index", str(tiny_index)])
    assert empty.exit_code == 2 and "question is empty" in empty.output
    missing = runner.invoke(app, ["search", "x", "--index", str(tiny_index / "nope")])
    assert missing.exit_code == 2 and "no index" in missing.output
