"""Read the text of a PDF, page by page (pypdf), refusing what cannot be read with one message.

Only PDFs with a text layer work: a scanned PDF (pages that are images) needs OCR first and is
refused. pypdf was chosen by measurement (eval/pdf_extraction.md): on Japanese PDFs printed by
Chromium it reads the same characters in the same order as pdfplumber, a little faster, with no
warnings, and it is BSD-licensed and pure Python.

Japanese PDFs often map CJK glyphs to look-alike code points (Kangxi radicals such as ⽇ for 日,
CJK radical supplements such as ⻑ for 長, ‧ for ・): ``fold_glyphs`` maps them back one character
for one character, so the extracted text reads and searches like the original.
"""

from __future__ import annotations

import io
import logging
import unicodedata

from qa.errors import CorpusError

PAGE_BREAK = "\n\n"  # between the pages of the extracted text
# Radicals-supplement forms NFKC leaves alone (the common ones in Japanese fonts' ToUnicode maps).
_LOOKALIKES = str.maketrans({
    "⻑": "長", "⺠": "民", "⻨": "麦", "⻭": "歯", "⻄": "西", "⻝": "食", "⻘": "青", "⻤": "鬼",
    "⻩": "黄", "⻫": "斉", "⻲": "亀", "⻯": "竜", "⻁": "虎", "⻆": "角", "⺟": "母", "⻖": "阝",
    "⺃": "乚", "⺅": "亻", "⺉": "刂", "⻌": "辶", "⻍": "辶", "⺮": "竹", "⺼": "肉", "⻔": "门",
    "‧": "・", "∕": "/",
})


def fold_glyphs(text: str) -> str:
    """Kangxi radicals and CJK compatibility ideographs to their unified ideographs, and the
    look-alikes above; every other character unchanged (so lengths and offsets are kept)."""
    out = []
    for ch in text.translate(_LOOKALIKES):
        code = ord(ch)
        if 0x2F00 <= code <= 0x2FDF or 0xF900 <= code <= 0xFAFF:
            folded = unicodedata.normalize("NFKC", ch)
            ch = folded if len(folded) == 1 else ch
        out.append(ch)
    return "".join(out)


def _clean_page(text: str) -> str:
    text = fold_glyphs(text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", ""))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def _reader(data: bytes, name: str):
    import pypdf
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # warnings on odd but readable files
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise CorpusError(f"{name} is password-protected: save an unprotected copy and add that")
        len(reader.pages)  # parses the page tree here, inside the error handling
    except CorpusError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
            NotImplementedError) as exc:
        if "decrypt" in str(exc).lower() or "encrypt" in str(exc).lower():
            raise CorpusError(f"{name} is encrypted in a way that cannot be read: "
                              "save an unprotected copy") from exc
        raise CorpusError(f"{name} is not a readable PDF (corrupt or truncated: "
                          f"{type(exc).__name__})") from exc
    return reader


def pdf_pages(data: bytes, name: str = "the PDF", max_pages: int = 300) -> list[str]:
    """The text of each page, cleaned and folded; a ``CorpusError`` for a PDF that cannot be used:
    password-protected, corrupt, zero pages, more than ``max_pages`` pages, or no text at all."""
    if not data.startswith(b"%PDF-"):
        raise CorpusError(f"{name} is not a PDF (it does not start with %PDF-)")
    reader = _reader(data, name)
    n = len(reader.pages)
    if n == 0:
        raise CorpusError(f"{name} has no pages")
    if n > max_pages:
        raise CorpusError(f"{name} has {n} pages, over the {max_pages}-page limit "
                          "(set QA_MAX_PDF_PAGES to raise it, or split the file)")
    pages = []
    for i in range(n):
        try:
            pages.append(_clean_page(reader.pages[i].extract_text() or ""))
        except Exception as exc:  # noqa: BLE001 - a broken content stream
            raise CorpusError(f"{name}: page {i + 1} cannot be read ({type(exc).__name__})") from exc
    if not any(p.strip() for p in pages):
        raise CorpusError(f"{name} has no text layer (a scanned or image-only PDF): "
                          "run OCR on it first (e.g. ocrmypdf) and add the result")
    return pages


def join_pages(pages: list[str]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The pages as one text and each page's (start, end) in it."""
    spans, parts, pos = [], [], 0
    for k, page in enumerate(pages):
        if k:
            parts.append(PAGE_BREAK)
            pos += len(PAGE_BREAK)
        parts.append(page)
        spans.append((pos, pos + len(page)))
        pos += len(page)
    return "".join(parts), tuple(spans)
