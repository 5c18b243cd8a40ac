"""Pure HTML rendering of chat messages."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa.questions import clean_question
from qa.records import Answer, Citation, Hit
from qa.render import (
    answer_markdown,
    plain_answer,
    plain_question,
    render_answer,
    reply_id,
    source_html,
    user_html,
)


def test_source_html_folds_lines_and_marks_across_them():
    raw = "電子商取引の自由\n化、円滑化。\n\n• 次の項目"
    start = raw.index("自由")
    html = source_html(raw, [(start, raw.index("円滑"))])
    assert html == "電子商取引の<mark>自由化、</mark>円滑化。<br>• 次の項目"


def test_plain_answer_reads_the_answer_back_out_of_a_message():
    message = render_answer(Answer("q", "en", "a < b & [1]\nc", False, [], [], {}), "en")
    assert plain_answer(message) == "a < b & [1]\nc"


def _two_quotes_of_one_passage() -> Answer:
    text = "CBAM: 炭素国境調整措置。なお、EUは2023年に導入予定。"
    first, second = text.index("炭素"), text.index("EUは")
    hit = Hit("Ⅵ-1①#1", "Ⅵ-1①", "カーボンニュートラル", text, 0.5, 100, 100 + len(text), 1)
    cites = [Citation(1, hit.id, hit.section, hit.title, text[first:first + 9], 100 + first, 100 + first + 9),
             Citation(2, hit.id, hit.section, hit.title, text[second:], 100 + second, 100 + len(text))]
    said = "「炭素国境調整措置。」[1]「EUは2023年に導入予定。」[2]"
    return Answer("CBAMとは？", "ja", said, False, cites, [hit], {"total_ms": 5.0})


def test_two_quotes_from_one_passage_make_one_card_with_both_marked():
    message = render_answer(_two_quotes_of_one_passage(), "ja")
    assert message.count('class="qa-card"') == 1
    head = message[message.index('<div class="qa-card-head">'):message.index('<div class="qa-passage">')]
    assert '<span class="qa-ref">[1]</span><span class="qa-ref">[2]</span>' in head
    assert "<mark>炭素国境調整措置。</mark>" in message and "<mark>EUは2023年に導入予定。</mark>" in message


def test_copy_with_sources_is_markdown_with_numbered_citations():
    answer = _two_quotes_of_one_passage()
    text = answer_markdown(answer, "en")
    assert text.splitlines()[0] == answer.answer
    assert "**Sources**" in text
    assert "- [1] Ⅵ-1① カーボンニュートラル: 「炭素国境調整措置。」" in text
    assert "- [2] Ⅵ-1① カーボンニュートラル: 「EUは2023年に導入予定。」" in text
    message = render_answer(answer, "en", reply_id="0123abcd")
    assert "\n\n" not in message  # the copy text rides along without ending the HTML block
    hidden = message[message.index('<pre class="qa-md" hidden>'):]
    assert html.unescape(hidden[len('<pre class="qa-md" hidden>'):hidden.index("</pre>")]) == text
    assert reply_id(message) == "0123abcd" and reply_id(render_answer(answer, "en")) == ""


@pytest.mark.parametrize("typed", [
    "<script>alert(1)</script>",
    '<img src=x onerror="fetch(\'/x\')">',
    "**bold** _it_ [link](http://example.com)\n# heading\n\n- item",
    "a & b &amp; c\r\n  indented",
])
def test_questions_are_shown_as_typed_text(typed):
    shown = user_html(typed, "ja")
    assert "<script" not in shown and "<img" not in shown and "<strong" not in shown
    assert "\n" not in shown  # one HTML block: Markdown never formats it
    assert plain_question(shown) == typed.replace("\r", "")


@given(st.text(max_size=1500).filter(lambda s: "\r" not in s))
def test_plain_question_reads_back_any_question(typed):
    assert plain_question(user_html(typed, "en")) == typed


def test_long_questions_are_folded_and_the_reply_says_when_one_was_cut():
    typed = "CBAM " + "あ" * 4995
    shown = user_html(typed, "ja")
    assert '<details class="qa-fold">' in shown and "すべて表示（5,000 文字）" in shown
    assert "<details" not in user_html("G7サミットはどこで開催された？", "ja")
    answer = Answer(typed[:1000], "ja", "資料には記載が見つかりませんでした。", True, [], [], {},
                    notice=clean_question(typed).notice)
    reply = render_answer(answer, "ja", asked=typed)
    assert "質問が長いため（5,000 文字）、最初の 1,000 文字だけで回答しました。" in reply
    assert reply.index("qa-truncated") < reply.index("qa-answer")  # said first, not after the cards
    assert "The question was" not in reply  # the English notice is not repeated
    english = render_answer(answer, "en", asked=typed)
    assert "Your question was 5,000 characters long; only the first 1,000 were used." in english


def test_the_short_answer_is_marked_apart_inside_its_quote():
    from qa.render import source_html

    html = source_html("米国「救済」計画（1.9兆ドル。", [(0, 16)], fact=(9, 15))
    assert html == '<mark>米国「救済」計画（</mark><mark class="qa-fact">1.9兆ドル</mark><mark>。</mark>'
