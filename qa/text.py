"""Text of the flattened slides: lines broken mid-word joined (with an offset map), and the
folding and number forms by which a question's details are looked up in it."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa.spans import Span

# Markers that begin a new bullet, caption or note even without a leading space.
UNIT_START = re.compile(r"^(\s|[•■□●○◆◇▶►・※⇒→①-⑳]|（資料）|\(資料\)|（参考）|（注）)")
_ASCII_ALNUM = re.compile(r"[0-9A-Za-z]")


def join_with_map(raw: str) -> tuple[str, list[int]]:
    """Join lines broken mid-word; keep a line break where a new bullet or paragraph starts.

    Returns the clean text and, for each clean character, its index in ``raw``.
    """
    out: list[str] = []
    where: list[int] = []
    lines = raw.split("\n")
    pos = 0
    for k, line in enumerate(lines):
        stripped = line.strip()
        lead = len(line) - len(line.lstrip())
        if stripped:
            if out:
                prev_blank = k > 0 and not lines[k - 1].strip()
                if prev_blank or UNIT_START.match(line):
                    out.append("\n")
                    where.append(pos - 1)
                elif _ASCII_ALNUM.match(out[-1]) and _ASCII_ALNUM.match(stripped[0]):
                    out.append(" ")
                    where.append(pos - 1)
            for j, ch in enumerate(stripped):
                out.append(ch)
                where.append(pos + lead + j)
        pos += len(line) + 1
    return "".join(out), where


def join_lines(raw: str) -> str:
    return join_with_map(raw)[0]


SPAN_WINDOW = 20  # characters each side of a span read as its context (pick_span, span_context, span_near)
_DIGITS = re.compile(r"(?<![A-Za-z\d.])\d+(?:\.\d+)?(?![\dA-Za-z])")  # not the 100 of RE100, the 7 of G7


def fold(text: str) -> str:
    """NFKC, no whitespace, lower case: how question details are looked up in passages."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def number_forms(number: str) -> set[str]:
    """How the deck may write a number: a year 2021 also as 21年, ’21 or FY21."""
    forms = {number}
    if len(number) == 4 and number[:2] in ("19", "20"):
        forms |= {number[2:] + "年", "’" + number[2:], "'" + number[2:]}
    return forms


def question_numbers(question: str) -> set[str]:
    """The numbers a question writes (years, counts), after NFKC; a name's digits (RE100, G7,
    COP26) are the name's, not numbers."""
    return set(_DIGITS.findall(unicodedata.normalize("NFKC", question)))


def numbers_written(numbers: set[str], text: str) -> float:
    """Share of the question's numbers (a year, a count) the line writes, in any of the deck's
    forms (2018 as 18年): "as of March 2018" is the line 「18年3月時点で…」, not today's figure.
    0 for a question without numbers."""
    if not numbers:
        return 0.0
    folded = fold(text)
    return sum(any(f in folded for f in number_forms(n)) for n in numbers) / len(numbers)


ASIDE = re.compile(r"（[^（）]*）|\([^()]*\)")  # a parenthetical: 「（日本、米国、…、メキシコ）」


def around_span(text: str, span: Span) -> str:
    """The span with ``SPAN_WINDOW`` characters each side: where its answer's context is read; each
    side is also read with its parentheticals skipped (「9エコノミー（日本、…メキシコ）が参加」 -> が参加)."""
    before, after = text[:span.start], text[span.end:]
    plain = ASIDE.sub("", before)[-SPAN_WINDOW:] + span.text + ASIDE.sub("", after)[:SPAN_WINDOW]
    return text[max(0, span.start - SPAN_WINDOW):span.end + SPAN_WINDOW] + "\n" + plain
