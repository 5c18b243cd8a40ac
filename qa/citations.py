"""Citation checking: a quote must be the exact source text at its stated offsets."""

from __future__ import annotations

import re
from dataclasses import replace

from qa.records import Citation, Passage
from qa.text import join_lines


def is_valid(c: Citation, passage: Passage | None, source: str | None = None) -> bool:
    """True when the quote is non-empty, lies inside the cited passage and equals the
    passage text (and the source file, when given) at ``[start:end]``."""
    if passage is None or not c.quote.strip() or c.id != passage.id:
        return False
    if not (passage.start <= c.start < c.end <= passage.end):
        return False
    if passage.text[c.start - passage.start:c.end - passage.start] != c.quote:
        return False
    return source is None or source[c.start:c.end] == c.quote


def check(citations: list[Citation], passages: dict[str, Passage],
          sources: dict[str, str] | None = None) -> list[Citation]:
    """Keep the valid citations, renumbered 1..n in order."""
    kept = []
    for c in citations:
        p = passages.get(c.id)
        source = (sources or {}).get(p.source) if p is not None else None
        if is_valid(c, p, source):
            kept.append(c)
    return [replace(c, n=i) for i, c in enumerate(kept, start=1)]


def cite(n: int, passage: Passage, start: int, end: int) -> Citation:
    """A citation of ``passage`` for the absolute source span ``[start, end)``."""
    quote = passage.text[start - passage.start:end - passage.start]
    return Citation(n, passage.id, passage.section, passage.title, quote, start, end,
                    passage.document, passage.page)


def locate(quote: str, passage: Passage) -> tuple[int, int] | None:
    """Find ``quote`` in the passage even where the source breaks a line inside it;
    return absolute (start, end) of the verbatim source span, or None."""
    chars = [re.escape(ch) for ch in re.sub(r"\s+", "", quote)]
    if len(chars) < 2:
        return None
    m = re.search(r"\s*".join(chars), passage.text)
    if not m:
        return None
    return passage.start + m.start(), passage.start + m.end()


def display(quote: str) -> str:
    """A quote as shown to readers: source line breaks folded away."""
    return join_lines(quote).replace("\n", " ")


def where(item) -> str:
    """Where a hit or citation is: ``document p.3 · section`` (the page for PDFs; a section that
    is only the page number is not repeated)."""
    head = " ".join(x for x in (getattr(item, "document", ""),
                                f"p.{item.page}" if getattr(item, "page", 0) else "") if x)
    section = "" if re.fullmatch(r"p\d+(~\d+)?", item.section) else item.section
    return " · ".join(x for x in (head, section) if x)
