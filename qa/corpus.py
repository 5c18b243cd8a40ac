"""Read and validate the documents of the corpus folder: UTF-8 ``.txt`` and ``.md``, text PDFs.

A document's ``text`` is what passages and citations point into: the file's text for ``.txt`` and
``.md``, the extracted text (pages joined by a blank line, ``pages`` holding their spans) for a PDF.
Its name inside the index is the file stem, so two files may not share a stem.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from qa.config import Config
from qa.errors import CorpusError

CORPUS_SUFFIXES = (".txt", ".md", ".pdf")


@dataclass(frozen=True)
class CorpusFile:
    name: str  # file name inside the corpus folder
    text: str  # the file's text, or the text extracted from a PDF
    sha256: str  # of the file's bytes
    pages: tuple[tuple[int, int], ...] = ()  # PDF: (start, end) of each page in ``text``

    @property
    def document(self) -> str:
        """The document's name in passage ids and citations: the file stem."""
        return Path(self.name).stem

    @property
    def kind(self) -> str:
        """"pdf", "markdown" or "text"."""
        return {".pdf": "pdf", ".md": "markdown"}.get(Path(self.name).suffix.lower(), "text")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def corpus_paths(corpus_dir: Path) -> list[Path]:
    """The documents of the corpus folder, sorted, refusing links that leave it and two files
    with one stem (their passage ids would collide)."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.exists():
        raise CorpusError(f"corpus folder not found: {corpus_dir}")
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus path is not a folder: {corpus_dir}")
    root = corpus_dir.resolve()
    paths = []
    for path in sorted(corpus_dir.iterdir()):
        if path.suffix.lower() not in CORPUS_SUFFIXES:
            continue
        try:
            real = path.resolve()
        except (OSError, RuntimeError) as exc:  # Python 3.11 raises RuntimeError on a link loop
            raise CorpusError(f"{path} is a link that cannot be followed ({exc}): refused") from exc
        if root not in real.parents:
            raise CorpusError(f"{path} links outside the corpus folder ({real}): refused")
        if real.is_dir():
            raise CorpusError(f"{path} is a folder, not a text file")
        if real.exists() and not real.is_file():  # a pipe or device would block or never end
            raise CorpusError(f"{path} is not a regular file: refused")
        paths.append(path)
    if not paths:
        raise CorpusError(f"no .txt, .md or .pdf files in corpus folder {corpus_dir}")
    seen: dict[str, str] = {}
    for path in paths:
        if (other := seen.setdefault(path.stem.casefold(), path.name)) != path.name:
            raise CorpusError(f"{other} and {path.name} in {corpus_dir} have the same name "
                              f"{path.stem!r}: rename one")
    return paths


def read_corpus_file(path: Path, max_mb: float | None = None) -> CorpusFile:
    """Read one document (UTF-8 text or Markdown, or a text PDF), with a clear error otherwise.

    Files over ``max_mb`` (default: QA_MAX_CORPUS_MB, 20) are refused before reading."""
    path = Path(path)
    cfg = Config.from_env()
    limit = max_mb if max_mb is not None else cfg.max_corpus_mb
    if path.suffix.lower() not in CORPUS_SUFFIXES:
        raise CorpusError(f"{path.name}: only .txt, .md and .pdf documents can be added")
    try:
        size = path.stat().st_size
        if size > limit * 1024 * 1024:
            raise CorpusError(
                f"{path} is {size / 1024 / 1024:.1f} MB, over the {limit:g} MB limit "
                "(set QA_MAX_CORPUS_MB to raise it)"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if path.suffix.lower() == ".pdf":
        return _read_pdf(path, data, cfg.max_pdf_pages)
    if b"\x00" in data:
        raise CorpusError(f"{path} looks binary (it contains NUL bytes), not UTF-8 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"{path} is not valid UTF-8 (byte {exc.start}): convert it, e.g. iconv -f SHIFT_JIS -t UTF-8"
        ) from exc
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise CorpusError(f"{path} is empty")
    return CorpusFile(path.name, text, sha256_bytes(data))


def _read_pdf(path: Path, data: bytes, max_pages: int) -> CorpusFile:
    from qa.pdf import join_pages, pdf_pages

    text, spans = join_pages(pdf_pages(data, path.name, max_pages))
    return CorpusFile(path.name, text, sha256_bytes(data), spans)


def load_corpus(corpus_dir: Path) -> list[CorpusFile]:
    limit = Config.from_env().max_corpus_mb
    return [read_corpus_file(p, limit) for p in corpus_paths(corpus_dir)]


def corpus_fingerprint(corpus_dir: Path) -> dict[str, str]:
    """{file name: sha256} without decoding, to check an index for staleness."""
    out = {}
    for path in corpus_paths(corpus_dir):
        try:
            out[path.name] = sha256_bytes(path.read_bytes())
        except OSError as exc:
            raise CorpusError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return out
