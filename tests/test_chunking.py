"""Chunking: slide ids, slide boundaries, joined lines and verbatim passages."""

from __future__ import annotations

from qa.chunking import chunk, find_sections, normalise_section_id, sentence_spans
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
