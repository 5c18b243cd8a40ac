"""Cut any document into passages by its kind: slides, Markdown headings, PDF pages, or plain text.

- a text file with slide headings (``Ⅳ－３②．…``) keeps the slide-aware sections of ``qa.chunking``;
- Markdown is cut at its headings (``#`` … ``######``), each section titled by its heading;
- a PDF is cut at its pages (section ``p3``), and at slide headings inside a page when it has them;
- anything else is one section, packed sentence by sentence.

In every case the passages are the sentence packing of ``qa.chunking`` inside each section, so no
character of text is lost and each passage is the verbatim slice ``text[start:end]``. Ids are
``<document>/<section>#n``, unique across the corpus because document names (file stems) are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.chunking import ChunkParams, Section, find_sections, pack_spans, sentence_spans
from qa.corpus import CorpusFile
from qa.records import Passage

_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(?P<title>.+?)[ \t#]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_ID_UNSAFE = re.compile(r"[\s/#]+")


@dataclass(frozen=True)
class PageSection:
    section: Section
    page: int = 0  # 1-based PDF page, 0 when the document has none


def section_id(title: str) -> str:
    """A readable section id from a heading: whitespace, ``/`` and ``#`` become ``-``, at most 40
    characters (ids are ``<document>/<section>#n``, so those characters would be ambiguous)."""
    return _ID_UNSAFE.sub("-", title.strip()).strip("-")[:40] or "section"


def _unique(sections: list[PageSection]) -> list[PageSection]:
    """Repeated section ids (two headings alike, a slide on two pages) get ``~2``, ``~3``..."""
    seen: dict[str, int] = {}
    out = []
    for ps in sections:
        sid = ps.section.id
        seen[sid] = seen.get(sid, 0) + 1
        if seen[sid] > 1:
            s = ps.section
            ps = PageSection(Section(f"{sid}~{seen[sid]}", s.title, s.start, s.end), ps.page)
        out.append(ps)
    return out


def has_slides(sections: list[Section]) -> bool:
    return any(s.id != "0" for s in sections)


def markdown_sections(text: str) -> list[Section]:
    """One section per heading (the text before the first heading is section ``0``); headings
    inside fenced code blocks do not count."""
    cuts: list[tuple[int, str, str]] = []
    pos, fenced = 0, False
    for line in text.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and (m := _MD_HEADING.match(line)):
            cuts.append((pos, section_id(m["title"]), m["title"].strip()))
        pos += len(line) + 1
    if not cuts or cuts[0][0] > 0:
        cuts.insert(0, (0, "0", ""))
    sections = [Section(sid, title, start, cuts[k + 1][0] if k + 1 < len(cuts) else len(text))
                for k, (start, sid, title) in enumerate(cuts)]
    return [s for s in sections if text[s.start:s.end].strip()]


def _first_line(text: str) -> str:
    line = next((ln.strip() for ln in text.split("\n") if ln.strip()), "")
    return line if len(line) <= 80 else ""


def pdf_sections(text: str, pages: tuple[tuple[int, int], ...]) -> list[PageSection]:
    """A section per page (``p3``, titled by its first line), or the slides a page holds."""
    out = []
    for n, (a, b) in enumerate(pages, start=1):
        page_text = text[a:b]
        if not page_text.strip():
            continue
        inner = find_sections(page_text)
        if has_slides(inner):
            for s in inner:
                sid, title = (s.id, s.title) if s.id != "0" else (f"p{n}", _first_line(page_text))
                out.append(PageSection(Section(sid, title, a + s.start, a + s.end), n))
        else:
            out.append(PageSection(Section(f"p{n}", _first_line(page_text), a, b), n))
    return out


def document_sections(doc: CorpusFile) -> list[PageSection]:
    """The sections of a document according to its kind (see the module docstring)."""
    if doc.kind == "pdf":
        return _unique(pdf_sections(doc.text, doc.pages))
    if doc.kind == "markdown":
        return _unique([PageSection(s) for s in markdown_sections(doc.text)])
    slides = find_sections(doc.text)
    if has_slides(slides):
        return [PageSection(s) for s in slides]
    return [PageSection(Section("text", "", 0, len(doc.text)))] if doc.text.strip() else []


def chunk_document(doc: CorpusFile, params: ChunkParams | None = None) -> list[Passage]:
    """The passages of one document, in order, with ids ``<document>/<section>#n``."""
    params = params or ChunkParams()
    passages: list[Passage] = []
    counts: dict[str, int] = {}
    text, name = doc.text, doc.document
    for ps in document_sections(doc):
        sec = ps.section
        for a, b in pack_spans(sentence_spans(text, sec.start, sec.end), text, params):
            counts[sec.id] = counts.get(sec.id, 0) + 1
            passages.append(Passage(f"{name}/{sec.id}#{counts[sec.id]}", sec.id, sec.title, text[a:b],
                                    a, b, doc.name, name, ps.page))
    return passages
