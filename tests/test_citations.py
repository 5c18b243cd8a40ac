"""Citation checking against the passage and the source file."""

from __future__ import annotations

from qa.chunking import chunk
from qa.citations import check, cite, is_valid, locate


def test_citations_are_checked_against_passage_and_source(tiny_corpus):
    text = (tiny_corpus / "deck.txt").read_text(encoding="utf-8")
    p = chunk(text, "deck.txt")[0]
    span = locate("世界経済は、コロナ危機から回復基調の見込み", p)
    assert span is not None
    good = cite(1, p, *span)
    assert is_valid(good, p, text)
    shifted = cite(2, p, span[0] + 1, span[1] + 1)
    forged = type(good)(3, p.id, p.section, p.title, "捏造された引用", span[0], span[1])
    kept = check([good, shifted, forged], {p.id: p}, {"deck.txt": text})
    assert [c.quote for c in kept] == [good.quote, shifted.quote]
    assert not is_valid(forged, p, text)
