"""Which PDF library reads Japanese slide PDFs best: pypdf vs pdfplumber, measured on the deck.

The bundled deck is laid out as slides (one section a page, Noto Sans CJK JP) and printed to PDF by
headless Chromium; each library then extracts it. Measured: the share of the source's characters
found in order (difflib matching blocks over the texts without whitespace: correct characters AND
reading order), raw and after ``qa.pdf.fold_glyphs``, and the extraction time.
Run: PYTHONPATH=. python eval/pdf_extraction.py  (writes eval/pdf_extraction.md)
"""

from __future__ import annotations

import difflib
import html
import logging
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from qa.corpus import read_corpus_file
from qa.pdf import fold_glyphs
from qa.structure import document_sections

ROOT = Path(__file__).resolve().parents[1]


def print_deck(out: Path) -> Path:
    doc = read_corpus_file(ROOT / "corpus" / "trade_policy_2021.txt")
    texts = [doc.text[ps.section.start:ps.section.end] for ps in document_sections(doc)]
    pages = ["<section>" + "".join(f"<p>{html.escape(ln.strip())}</p>" for ln in t.split("\n") if ln.strip())
             + "</section>" for t in texts]
    page = out.with_suffix(".html")
    page.write_text('<html><head><meta charset="utf-8"><style>@page{size:A4 landscape;margin:15mm}'
                    'section{page-break-after:always;font-family:"Noto Sans CJK JP";font-size:13pt}'
                    "p{margin:2pt 0}</style></head><body>" + "".join(pages) + "</body></html>",
                    encoding="utf-8")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={out}", page.as_uri()], check=True, capture_output=True)
    return out


def with_pypdf(path: Path) -> list[str]:
    import pypdf

    return [p.extract_text() or "" for p in pypdf.PdfReader(path).pages]


def with_pdfplumber(path: Path) -> list[str]:
    import pdfplumber

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    with pdfplumber.open(path) as pdf:
        return [p.extract_text() or "" for p in pdf.pages]


def in_order_share(reference: str, got: str) -> float:
    ref, out = re.sub(r"\s+", "", reference), re.sub(r"\s+", "", got)
    blocks = difflib.SequenceMatcher(None, ref, out, autojunk=False).get_matching_blocks()
    return sum(b.size for b in blocks) / len(ref)


def main() -> None:
    source = (ROOT / "corpus" / "trade_policy_2021.txt").read_text(encoding="utf-8")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        pdf = print_deck(Path(tmp) / "deck.pdf")
        for name, extract, licence in (("pypdf", with_pypdf, "BSD-3-Clause"),
                                       ("pdfplumber", with_pdfplumber, "MIT (pdfminer.six: MIT)")):
            t0 = time.perf_counter()
            pages = extract(pdf)
            seconds = time.perf_counter() - t0
            text = "\n".join(pages)
            raw, folded = in_order_share(source, text), in_order_share(source, fold_glyphs(text))
            rows.append(f"| {name} {licence} | {len(pages)} | {seconds:.2f} | {raw:.4f} | {folded:.4f} |")
    table = ("| library (licence) | pages | seconds | characters in order, raw | after fold_glyphs |\n"
             "|---|---|---|---|---|\n" + "\n".join(rows))
    (ROOT / "eval" / "pdf_extraction.md").write_text(
        "# PDF extraction on the deck printed by Chromium\n\n" + table + "\n", encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
