"""Where a line sits in its slide: a table's rows and header, a label line, the lines above a
line that may label it (a source note or a link between them skipped), and the passage a table or
heading of a hit runs on into. Pure functions over a passage's lines."""

from __future__ import annotations

import re

from qa.chunking import PART_HEADING, SLIDE_HEADING
from qa.citations import display
from qa.records import Hit, Passage
from qa.segmenting import LINK_START

TABLE_ROW = re.compile(r"^\S.{0,30}?(\s+[-−▲]?[0-9０-９][0-9０-９.,]*%?){1,}\s*$")
# a table's column labels (「(%) 2020年 2021年」), not a sentence that names two years (no kana, 、 or 。)
_LABELS = r"[^\u3040-\u309f、。]*"  # no kana, 、 or 。: labels, not a sentence
TABLE_HEADER = re.compile(rf"\(%\)|（%）|^{_LABELS}[0-9]{{4}}\s*年{_LABELS}[0-9]{{4}}\s*年{_LABELS}$")
# where a figure comes from, not what it is: 「（資料）…より作成」, 「出所：…HP」, a link
LINK = re.compile(rf"^\s*{LINK_START}")
SOURCE_NOTE = re.compile(rf"^\s*(?:（資料）|\(資料\)|（出典）|\(出典\)|出典[：:]|出所[：:])|{LINK.pattern}")
_NUMBER = re.compile(r"[0-9０-９]")


def labels_above(texts: list[str], j: int, n: int) -> list[int]:
    """The ``n`` lines above line ``j`` that may label it, nearest first. Source notes and links
    are skipped: a chart's caption 「2050年までのカーボンニュートラルを表明した国」 labels its value
    「125カ国・1地域」 across 「（資料）…作成」 and a URL."""
    out: list[int] = []
    for i in range(j - 1, -1, -1):
        if len(out) == n:
            break
        if not SOURCE_NOTE.match(texts[i]):
            out.append(i)
    return out


def is_table_row(text: str) -> bool:
    return bool(TABLE_ROW.match(text)) and not TABLE_HEADER.search(text)


def is_heading_like(text: str, title: str) -> bool:
    """A slide heading, or a short label line: no full stop, no figure."""
    if SLIDE_HEADING.match(text) or PART_HEADING.match(text):
        return True
    if title and title in text and len(text) < len(title) + 12:
        return True
    return len(text) < 30 and "。" not in text and not _NUMBER.search(text) and not is_table_row(text)


def line_text(passage: Passage, span: tuple[int, int]) -> str:
    return display(passage.text[span[0] - passage.start:span[1] - passage.start])


def header_above(passage: Passage, lines, previous) -> tuple[Passage, int, int, str, int] | None:
    """The last table header line of the passages above ``passage`` in its slide (a table
    split across passages): its passage, offsets, text and line number."""
    p = previous(passage.id)
    while p is not None:
        _, spans, _, _ = lines(p.id)
        for j in range(len(spans) - 1, -1, -1):
            a, b = spans[j]
            text = line_text(p, (a, b))
            if TABLE_HEADER.search(text) and not is_table_row(text):
                return p, a, b, text, j
        p = previous(p.id)
    return None


def with_continuations(hits: list[Hit], lines, following, after_headings: bool = False
                       ) -> list[tuple[str, int, bool]]:
    """(passage id, rank, is a continuation) of the hits, each followed by the next passage of
    its slide, at the same rank, when a table runs on into it (the hit ends in a table line and
    the next passage starts with a row): a split table's lower rows answer questions about it;
    with ``after_headings``, also when it ends in a heading, whose text is in the next passage
    (「• 国家科学技術プロジェクト」, then 「→AI、量子情報、集積回路、生命・健康、宇宙等」)."""
    out: list[tuple[str, int, bool]] = []
    seen = {h.id for h in hits}
    for hit in hits:
        out.append((hit.id, hit.rank, False))
        below = following(hit.id)
        if below is None or below.id in seen:
            continue
        passage, spans, _, _ = lines(hit.id)
        _, below_spans, _, _ = lines(below.id)
        if not spans or not below_spans:
            continue
        last = line_text(passage, spans[-1])
        in_table = is_table_row(last) or bool(TABLE_HEADER.search(last))
        heading_end = after_headings and not in_table and is_heading_like(last, passage.title)
        if (in_table and is_table_row(line_text(below, below_spans[0]))) or heading_end:
            out.append((below.id, hit.rank, True))
            seen.add(below.id)
    return out
