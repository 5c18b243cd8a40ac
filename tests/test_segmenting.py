"""Sudachi segmentation: normalised content terms and pieces short enough for Sudachi."""

from __future__ import annotations

from qa.segmenting import pieces, terms


def test_terms_are_normalised_content_words():
    out = terms("サプライチェーンの強靱化と6.0%の成長、the EU growth")
    assert "強靭" in out  # 強靱 folded by Sudachi's normalised form
    assert "6.0" in out and "eu" in out and "growth" in out
    assert "の" not in out and "the" not in out


def test_long_text_is_cut_into_pieces_sudachi_accepts():
    text = "あ" * 10_000 + "。" + "い" * 10
    cut = list(pieces(text, limit=4000))
    assert "".join(p for _, p in cut) == text
    assert max(len(p) for _, p in cut) <= 4000
    assert terms("経済" * 30_000)  # no Sudachi input-size error
