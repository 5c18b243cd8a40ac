"""Split the document into passages that keep its slide structure.

The source is a slide deck flattened to text. A slide heading (``Ⅳ－３②．…``) either
starts its slide (the line begins with a space) or comes after the slide's summary
bullets (space-led paragraphs just above it), and the first slide of a part follows its
part title (``Ⅳ．…``). Sections are cut accordingly, then sentences (Sudachi) are grouped
into passages of at most ``max_chars`` characters that never cross a section. A passage's
``text`` is the verbatim source slice, so offsets and quotes always agree with the file.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from qa.records import Passage
from qa.segmenting import sentence_ends
from qa.text import join_lines, join_with_map

ROMAN = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ"
_DASH = r"[-－ー―‐ｰ−─‑–—]"
SLIDE_HEADING = re.compile(
    rf"^(?P<lead>\s*)(?P<part>[{ROMAN}])\s*{_DASH}\s*(?P<num>[0-9０-９]+)\s*(?P<sub>[①-⑳]?)"
    r"\s*[．.]\s*(?P<title>\S.*)$"
)
PART_HEADING = re.compile(rf"^(?P<lead>\s*)(?P<part>[{ROMAN}])\s*[．.]\s*(?P<title>\S.*)$")


@dataclass(frozen=True)
class ChunkParams:
    max_chars: int = 300  # chosen on the dev split (eval/README.md)
    min_chars: int = 60  # a shorter tail is merged into the previous passage

    def to_dict(self) -> dict:
        return {"max_chars": self.max_chars, "min_chars": self.min_chars}


@dataclass(frozen=True)
class Section:
    id: str  # normalised: "Ⅳ-3②", or "Ⅳ" for a part title page
    title: str
    start: int
    end: int


def normalise_section_id(part: str, num: str = "", sub: str = "") -> str:
    """``Ⅳ``, ``３``, ``②`` -> ``Ⅳ-3②`` (digits folded to ASCII)."""
    if not num:
        return part
    return f"{part}-{int(unicodedata.normalize('NFKC', num))}{sub}"


def _heading(line: str) -> tuple[str, str, bool, bool] | None:
    """(section id, title, is_part, space_led) for a heading line, else None."""
    m = SLIDE_HEADING.match(line)
    if m:
        sid = normalise_section_id(m["part"], m["num"], m["sub"])
        return sid, m["title"].strip(), False, bool(m["lead"])
    m = PART_HEADING.match(line)
    if m and len(m["title"]) < 60:
        return m["part"], m["title"].strip(), True, bool(m["lead"])
    return None


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def _summary_start(lines: list[str], heading_idx: int, floor: int) -> int:
    """First line of the run of space-led paragraphs right above a heading (or the heading)."""
    start = heading_idx
    i = heading_idx - 1
    while i > floor:
        while i > floor and not lines[i].strip():
            i -= 1
        if i <= floor:
            break
        top = i
        while top - 1 > floor and lines[top - 1].strip():
            top -= 1
        if not lines[top].startswith((" ", "\u3000")):
            break
        start = top
        i = top - 1
    return start


def find_sections(text: str) -> list[Section]:
    """Cut ``text`` into consecutive sections that together cover it entirely."""
    lines = text.split("\n")
    starts = _line_starts(text)
    heads = [(i, h) for i, line in enumerate(lines) if (h := _heading(line))]
    cuts: list[tuple[int, str, str]] = []  # (first line, id, title)
    prev_line, prev_is_part = -1, False
    for i, (sid, title, is_part, space_led) in heads:
        if is_part or space_led:
            first = i
        elif prev_is_part:
            first = cuts[-1][0]  # the part title page opens its first slide
            cuts.pop()
        else:
            first = _summary_start(lines, i, prev_line)
        if cuts and first <= cuts[-1][0]:
            first = i
        if cuts and cuts[-1][1] == sid[:1] and _is_title_only(lines, cuts[-1][0], first):
            first = cuts.pop()[0]  # a bare part title joins the slide that follows it
        cuts.append((first, sid, title))
        prev_line, prev_is_part = i, is_part
    if not cuts or cuts[0][0] > 0:
        cuts.insert(0, (0, "0", ""))
    sections = []
    for k, (first, sid, title) in enumerate(cuts):
        end = starts[cuts[k + 1][0]] if k + 1 < len(cuts) else len(text)
        sections.append(Section(sid, title, starts[first], end))
    return [s for s in sections if text[s.start:s.end].strip()]


def _is_title_only(lines: list[str], first: int, stop: int) -> bool:
    body = [ln for ln in lines[first + 1:stop] if ln.strip()]
    return sum(len(ln.strip()) for ln in body) < 30


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Raw (start, end) spans of the sentences, bullets and table rows in ``text[start:end]``.

    Spans are trimmed of surrounding whitespace and cover every other character.
    """
    clean, where = join_with_map(text[start:end])
    if not clean:
        return []
    cuts = set(sentence_ends(clean))
    cuts.update(i + 1 for i, ch in enumerate(clean) if ch == "\n")
    cuts.add(len(clean))
    spans = []
    a = 0
    for b in sorted(cuts):
        seg = clean[a:b]
        if seg.strip():
            lo = a + (len(seg) - len(seg.lstrip()))
            hi = b - (len(seg) - len(seg.rstrip()))
            spans.append((start + where[lo], start + where[hi - 1] + 1))
        a = b
    return spans


def _split_long(span: tuple[int, int], text: str, max_chars: int) -> list[tuple[int, int]]:
    """Cut a sentence longer than ``max_chars`` clean chars (a line with no full stop)
    into consecutive windows of at most ``max_chars``, trimmed of whitespace."""
    a, b = span
    clean, where = join_with_map(text[a:b])
    if max_chars < 1 or len(clean) <= max_chars:
        return [span]
    out = []
    for i in range(0, len(clean), max_chars):
        window = clean[i:i + max_chars]
        lo, hi = i + len(window) - len(window.lstrip()), i + len(window.rstrip())
        if lo < hi:
            out.append((a + where[lo], a + where[hi - 1] + 1))
    return out


def pack_spans(spans: list[tuple[int, int]], text: str, params: ChunkParams) -> list[tuple[int, int]]:
    """Greedily pack consecutive sentence spans into passages of <= max_chars clean chars."""
    groups: list[list[tuple[int, int]]] = []
    size = 0
    for span in (s for sp in spans for s in _split_long(sp, text, params.max_chars)):
        length = len(join_lines(text[span[0]:span[1]]))
        if groups and size + length <= params.max_chars:
            groups[-1].append(span)
            size += length
        else:
            groups.append([span])
            size = length
    if len(groups) > 1:
        tail = sum(len(join_lines(text[a:b])) for a, b in groups[-1])
        if tail < params.min_chars:
            groups[-2].extend(groups.pop())
    return [(g[0][0], g[-1][1]) for g in groups]


def chunk(text: str, source: str = "", params: ChunkParams | None = None) -> list[Passage]:
    """Passages of ``text``: never spanning two sections, each with a stable id."""
    params = params or ChunkParams()
    passages: list[Passage] = []
    counts: dict[str, int] = {}
    for sec in find_sections(text):
        for a, b in pack_spans(sentence_spans(text, sec.start, sec.end), text, params):
            counts[sec.id] = counts.get(sec.id, 0) + 1
            pid = f"{sec.id}#{counts[sec.id]}"
            passages.append(Passage(pid, sec.id, sec.title, text[a:b], a, b, source))
    return passages


def embedding_text(p: Passage) -> str:
    """What is embedded and BM25-indexed: the slide title gives each passage its context."""
    return f"{p.section} {p.title}\n{p.clean_text}" if p.title else p.clean_text
