"""Property tests: chunking loses no character, offsets always agree with the source,
citations survive a round trip and tampering is caught. Japanese-like text is generated
from kana, kanji, ASCII, digits, spaces, line breaks, 。 and slide headings."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from qa.chunking import ChunkParams, chunk, find_sections, sentence_spans
from qa.citations import check, cite, is_valid, locate
from qa.records import Citation
from qa.text import join_with_map

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

KANA = "あいうえおかきくけこさしすのはをにでアイウエオカキクケコサプライチェーン"
KANJI = "経済安全保障貿易協定政策国際市場資料年月日本米中欧"
ASCII = "ABCWTOxyz"
DIGITS = "0123456789０１２"
SPACES = "  \u3000\t"
PUNCT = "。、・（）%．-"
BODY = KANA + KANJI + ASCII + DIGITS + SPACES + PUNCT + "。。\n"
ROMAN = "ⅠⅡⅢⅣ"
DASHES = "-－ー"
BULLETS = ["", " ", "  ", "\u3000", "・", "■", "※", "（資料）"]

body_line = st.builds(lambda lead, text: lead + text, st.sampled_from(BULLETS),
                      st.text(alphabet=BODY, max_size=80))
slide_heading = st.builds(
    lambda lead, part, dash, num, title: f"{lead}{part}{dash}{num}．{title}",
    st.sampled_from(["", " "]), st.sampled_from(ROMAN), st.sampled_from(DASHES),
    st.sampled_from(["1", "2", "１", "２", "3②"]), st.text(alphabet=KANA + KANJI, min_size=1, max_size=12),
)
part_heading = st.builds(lambda part, title: f"{part}．{title}", st.sampled_from(ROMAN),
                         st.text(alphabet=KANJI, min_size=1, max_size=10))
long_line = st.text(alphabet=KANA + KANJI + ASCII + DIGITS + " ", min_size=150, max_size=400)
line = st.one_of(body_line, body_line, body_line, slide_heading, part_heading, long_line, st.just(""))
documents = st.lists(line, min_size=1, max_size=25).map("\n".join)
params = st.builds(ChunkParams, max_chars=st.integers(20, 200), min_chars=st.integers(0, 60))


def covers(passages, text: str) -> bool:
    covered = [False] * len(text)
    for p in passages:
        covered[p.start:p.end] = [True] * (p.end - p.start)
    return all(covered[i] for i in visible(text))


def visible(text: str) -> list[int]:
    return [i for i, ch in enumerate(text) if not ch.isspace()]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@SETTINGS
@given(documents)
def test_join_with_map_points_every_clean_char_at_its_raw_char(raw):
    clean, where = join_with_map(raw)
    assert len(clean) == len(where)
    assert all(a < b for a, b in zip(where, where[1:]))
    for ch, i in zip(clean, where):
        if ch.isspace():  # a kept or joining line break sits on a raw line break
            assert raw[i].isspace()
        else:
            assert raw[i] == ch
    assert set(visible(raw)) <= set(where)


@SETTINGS
@given(documents, st.data())
def test_sentence_spans_cover_the_text_in_order(text, data):
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    spans = sentence_spans(text, start, end)
    for a, b in spans:
        assert start <= a < b <= end
        assert not text[a].isspace() and not text[b - 1].isspace()
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:]))
    covered = {i for a, b in spans for i in range(a, b)}
    assert [i for i in range(start, end) if not text[i].isspace() and i not in covered] == []


@SETTINGS
@given(documents, params)
def test_chunking_loses_no_character(text, p):
    sections = find_sections(text)
    passages = chunk(text, "doc.txt", p)
    for prev, nxt in zip(passages, passages[1:]):
        assert prev.end <= nxt.start
    for passage in passages:
        assert passage.text == text[passage.start:passage.end]
        assert passage.text.strip() == passage.text
        home = [s for s in sections if s.start <= passage.start and passage.end <= s.end]
        assert len(home) == 1, "a passage spans two sections"
        assert (passage.section, passage.title) == (home[0].id, home[0].title)
        assert len(passage.clean_text) <= 2 * (p.max_chars + p.min_chars)
    assert covers(passages, text)
    assert len({x.id for x in passages}) == len(passages)


@SETTINGS
@given(documents, st.integers(-3, 0))
def test_nonsense_passage_size_still_loses_no_character(text, max_chars):
    """``qa index --max-chars -5`` is not refused by the CLI; chunking must cope."""
    assert covers(chunk(text, "doc.txt", ChunkParams(max_chars=max_chars)), text)


@st.composite
def passage_and_span(draw):
    """A chunked document, one of its passages and a span inside it with visible text."""
    text = draw(documents)
    passages = chunk(text, "doc.txt", draw(params))
    assume(passages)
    p = draw(st.sampled_from(passages))
    a = draw(st.integers(p.start, p.end - 1))
    b = draw(st.integers(a + 1, p.end))
    assume(text[a:b].strip())
    return text, p, a, b


@SETTINGS
@given(passage_and_span())
def test_cite_then_is_valid(case):
    text, p, a, b = case
    c = cite(1, p, a, b)
    assert c.quote == text[a:b]
    assert is_valid(c, p, text)
    assert check([c], {p.id: p}, {"doc.txt": text}) == [c]


@SETTINGS
@given(passage_and_span())
def test_locate_finds_the_quote_modulo_whitespace(case):
    text, p, a, b = case
    quote = text[a:b]
    assume(len(squeeze(quote)) >= 2)
    for form in (quote, squeeze(quote), " ".join(quote.split())):
        span = locate(form, p)
        assert span is not None
        s, e = span
        assert p.start <= s < e <= p.end
        assert squeeze(text[s:e]) == squeeze(quote)
        assert is_valid(cite(1, p, s, e), p, text)


@SETTINGS
@given(passage_and_span(), st.integers(-5, 5), st.integers(-5, 5))
def test_tampered_offsets_are_caught(case, shift_start, shift_end):
    text, p, a, b = case
    assume(shift_start or shift_end)
    good = cite(1, p, a, b)
    s, e = a + shift_start, b + shift_end
    inside = p.start <= s < e <= p.end
    assume(not inside or text[s:e] != good.quote)
    bad = Citation(1, good.id, good.section, good.title, good.quote, s, e)
    assert not is_valid(bad, p, text)
    kept = check([bad, good, bad], {p.id: p}, {"doc.txt": text})
    assert [(c.n, c.start, c.end) for c in kept] == [(1, a, b)]


@SETTINGS
@given(passage_and_span(), st.text(alphabet=KANA + KANJI, min_size=1, max_size=1))
def test_tampered_quote_or_passage_is_caught(case, other):
    text, p, a, b = case
    good = cite(1, p, a, b)
    assume(other != good.quote[0])
    forged = Citation(1, good.id, good.section, good.title, other + good.quote[1:], a, b)
    assert not is_valid(forged, p, text)
    moved = Citation(1, good.id + "x", good.section, good.title, good.quote, a, b)
    assert not is_valid(moved, p, text)
    assert not is_valid(good, None, text)
    edited = text[:a] + other + text[a + 1:]  # the source changed under the citation
    assume(edited[a:b] != good.quote)
    assert not is_valid(good, p, edited)
