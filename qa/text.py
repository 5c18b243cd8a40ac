"""Display text of the flattened slides: lines broken mid-word joined, with an offset map."""

from __future__ import annotations

import re

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
