"""Test PDFs made here: Japanese pages printed by Chromium, and broken ones written with pypdf."""

from __future__ import annotations

import html
import io
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

# A white paper of three pages; page 2 alone states the semiconductor target.
WHITE_PAPER = [
    ["経済安全保障白書", "第1章　概要", "本書は経済安全保障に関する政府の取組をまとめたものである。"],
    ["第2章　半導体", "半導体の国内生産額を2030年に15兆円へ引き上げることを目指す。",
     "先端ロジック半導体の製造拠点を国内に誘致する。"],
    ["第3章　人材", "高度人材の育成のため、大学と企業の共同研究を支援する。"],
]


def print_pdf(pages: list[list[str]], out: Path) -> Path:
    """Each page's lines as paragraphs, one printed page each (Noto CJK), by headless Chromium."""
    body = "".join('<section style="page-break-after: always">'
                   + "".join(f"<p>{html.escape(line)}</p>" for line in page) + "</section>"
                   for page in pages)
    page = out.with_suffix(".html")
    page.write_text(f'<html><head><meta charset="utf-8"><style>@page {{ size: A4 landscape; }} '
                    f'body {{ font-family: "Noto Sans CJK JP"; font-size: 16pt; }}</style></head>'
                    f"<body>{body}</body></html>", encoding="utf-8")
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    "--disable-background-networking", "--disable-component-update", "--no-first-run",
                    f"--print-to-pdf={out}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    page.unlink()
    return out


def blank_pdf(pages: int) -> bytes:
    """A PDF of ``pages`` empty pages (no text layer, like a scan without OCR)."""
    import pypdf

    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def encrypted_pdf(source: bytes, password: str = "secret") -> bytes:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(source)))
    writer.encrypt(user_password=password, owner_password=password)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()
