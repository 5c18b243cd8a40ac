"""Pure HTML rendering of chat messages."""

from __future__ import annotations

from qa.records import Answer
from qa.render import plain_answer, render_answer, source_html


def test_source_html_folds_lines_and_marks_across_them():
    raw = "電子商取引の自由\n化、円滑化。\n\n• 次の項目"
    start = raw.index("自由")
    html = source_html(raw, [(start, raw.index("円滑"))])
    assert html == "電子商取引の<mark>自由化、</mark>円滑化。<br>• 次の項目"


def test_plain_answer_reads_the_answer_back_out_of_a_message():
    message = render_answer(Answer("q", "en", "a < b & [1]\nc", False, [], [], {}), "en")
    assert plain_answer(message) == "a < b & [1]\nc"
