"""Which span of the chosen line answers: a table cell under the row label and year the question
names, else, of the spans the question does not itself name, the one in the question's own
clause, with most of its terms around it, nearest to them (``qa.answering`` picks the line)."""

from __future__ import annotations

import re

from qa.confidence import ACRONYM, fold, has_content
from qa.features import Candidate, Question, line_terms
from qa.line_layout import is_heading_like
from qa.span_names import spelled_in
from qa.spans import Span, table_cells
from qa.text import ASIDE, around_span

_TITLE = re.compile(r"題名|表題|タイトル|名称|名前|title|called|name", re.I)  # what it is called
_ASKS_DEADLINE = re.compile(r"まで|期限|\bby (?:when|what)\b|\buntil\b|\bdeadline\b", re.I)
_CLAUSE_BREAK = re.compile(r"[、。，]|,(?!\d{3})")  # not the comma of 7,717
_DIGIT = re.compile(r"\d")
_ASKS_ALIAS = re.compile(r"略称|略語|何の略|別名|abbreviat|acronym|short for|also (?:known|called)", re.I)
_YEAR = re.compile(r"(?:19|20)\d\d")
_KATAKANA = re.compile(r"[\u30a0-\u30ff]+")
_LABEL = re.compile(r"[^、。，：]{1,20}：")  # 「※承認国・地域数：」 labels every item of its line


def _cell_labels(c: Candidate) -> dict[int, str]:
    """The row label of each of a table row's spans (by position in ``c.spans``)."""
    where = {(cell.span.start, cell.span.end): cell.label for cell in table_cells(c.raw, c.header_text)}
    return {i: where.get((s.start, s.end), "") for i, s in enumerate(c.spans)}


def named_labels(row: str, asked: set[str]) -> int:
    """How many of a table row's labels (its cells that are not figures) the question names
    whole: 「新興国・発展途上国」 is not named by a question that only says 発展 ("growth")."""
    return sum(names_whole(cell, asked) for cell in row.split())


def names_whole(text: str, asked: set[str]) -> bool:
    """Every content term of ``text``, a label with no figure, is among the question's terms."""
    content = [t for t in line_terms(text) if has_content([t])]
    return bool(content) and not _DIGIT.search(text) and all(t in asked for t in content)


def pick_span(c: Candidate, question: Question) -> int | None:
    """Which of the line's typed spans answers: a table cell in the row label the question
    names and the column of its year, else, of the spans the question does not itself name
    ("G7" in "where was the G7 summit"), the one whose clause holds most question terms, then
    with most around it, then nearest one, else the first."""
    years = set(_YEAR.findall(question.text))
    cells = [i for i, col in enumerate(c.columns) if col]
    if cells:
        label = _cell_labels(c)
        asked = set(question.terms)
        named = [i for i in cells if named_labels(label.get(i, ""), asked)] or cells
        in_year = [i for i in named if any(y in c.columns[i] for y in years)]
        if in_year:
            return in_year[0]
    fresh = [i for i, s in enumerate(c.spans) if not asks_for(s, question) and not alias(c.raw, s, question)]
    if not fresh:
        return None
    q = set(question.terms)

    def around(i: int) -> int:
        s = c.spans[i]
        return len(q & line_terms(around_span(c.raw, s)))

    kind = question.answer_type

    def subject(i: int) -> bool:  # who did it: 「The Climate GroupがCDPとの協力で…開始」, not the NGO
        after = c.raw[c.spans[i].end:c.spans[i].end + 2].lstrip(")）")[:1]  # 「…研究所(ASPI)が」
        return kind.kind == "name" and after in ("が", "は") and not _TITLE.search(kind.cue)

    deadline = bool(_ASKS_DEADLINE.search(question.text))

    def fits(i: int) -> bool:  # 「2030年までに」 is a target's deadline: it answers "by when", not "when"
        s = c.spans[i]
        return deadline or s.kind not in ("date", "year") or "まで" not in s.text

    return max(fresh, key=lambda i: (subject(i), fits(i), in_clause(c.raw, c.spans[i], q), around(i),
                                      -gap(c.raw, c.spans[i], q), -i))


def label_answers(label: Candidate, line: Candidate, question: Question) -> bool:
    """A name asked for (「どの企業」, "which firm") that the best line lacks, held by the short
    label over it (「＜IHIの取り組み＞」 over 「・衛星AIS技術とAIを使い…追跡。」): the line says what
    is done, its label who does it."""
    return (question.answer_type.kind in ("name", "place") and label.passage.id == line.passage.id
            and label.position == line.position - 1 and is_heading_like(label.text, label.passage.title)
            and pick_span(line, question) is None and pick_span(label, question) is not None)


def alias(raw: str, span: Span, question: Question) -> bool:
    """A name in brackets right after words the question writes is that thing's other name: in
    「豪州戦略政策研究所(ASPI)」 ASPI is the institute asked about, not the answer (a date there,
    「共同声明（2021年４月27日）」, is an answer), unless the question asks for that other name."""
    before = raw[:span.start]
    named = fold(before[-6:-1])
    bracketed = span.kind == "name" and before[-1:] in ("(", "（") and not _ASKS_ALIAS.search(question.text)
    return bracketed and len(named) >= 3 and named in fold(question.text)


def in_clause(raw: str, span: Span, terms: set[str]) -> int:
    """Question terms in the span's own clause (between 、 and 。; a slide's line break is not a
    clause break), the span's own words included: in 「世界で309企業、日本は54企業」 the Japanese
    count is the one whose clause names 日本, and "the maximum" is 「最大100％」, not its 「通常90％」.
    What belongs to the whole line is no clause's: a bracketed aside not holding the span
    (「…日本は54企業にまで拡大（21年4月時点）」 dates 309 as much as 54) and a label before 「：」
    (「※承認国・地域数：シノファーム（中）35、…アストラゼネカ（英）89」). Five reshuffles: ja short answers
    0.760 -> 0.785 (the aside), en 0.644 -> 0.667 (the label, with katakana names read as written)."""
    breaks = [m.start() for m in _CLAUSE_BREAK.finditer(raw)]
    start = max((i for i in breaks if i < span.start), default=-1) + 1
    end = min((i for i in breaks if i >= span.end), default=len(raw))
    label = _LABEL.match(raw)
    if label and label.end() <= span.start:
        start = max(start, label.end())  # the label names every item, not the first one
    before = ASIDE.sub("", raw[start:span.start])
    after = ASIDE.sub("", raw[span.end:end])
    clause = before + span.text + after
    found = terms & line_terms(clause)
    written = fold(clause)  # Sudachi may split a katakana name in context (アストラ|ゼネカ（英）)
    found |= {t for t in terms if len(t) >= 3 and _KATAKANA.fullmatch(t) and t in written}
    return len(found)


def asks_for(span: Span, question: Question) -> bool:
    """Whether the question itself names the span, as written or, every content word of it,
    through its terms (an English question's translations: "vaccine diplomacy" names 「ワクチン外交」)."""
    if fold(span.text) in fold(question.text):
        return True
    if span.kind not in ("name", "list"):
        return False  # a number is asked only as written: 「何年」 does not name 10年
    if any(w.lower() in fold(span.text) for w in ACRONYM.findall(question.text)):
        return True  # 「台湾TSMC」 is the TSMC the question asks about, not its answer
    if ACRONYM.fullmatch(span.text.strip()) and spelled_in(span.text, question.text):
        return True  # "cross-border privacy rules" asks about CBPR, not for it
    named = set(question.terms)
    content = [t for t in line_terms(span.text) if has_content([t])]
    return bool(content) and all(t in named for t in content)


def gap(raw: str, span: Span, terms: set[str]) -> int:
    """Characters between the span and the nearest question term written in the line (a
    span right after 「署名国（」 answers before one ten characters away)."""
    folded = raw.lower()
    best = len(raw)
    for t in terms:
        at = folded.find(t)
        while at >= 0:
            best = min(best, max(0, at - span.end, span.start - (at + len(t))))
            at = folded.find(t, at + 1)
    return best
