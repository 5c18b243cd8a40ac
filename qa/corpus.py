"""Read and validate the source document(s) in the corpus folder."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from qa.config import Config
from qa.errors import CorpusError

CORPUS_SUFFIXES = {".txt"}


@dataclass(frozen=True)
class CorpusFile:
    name: str  # file name inside the corpus folder
    text: str
    sha256: str


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def corpus_paths(corpus_dir: Path) -> list[Path]:
    """The ``.txt`` files of the corpus folder, sorted, refusing links that leave it."""
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
        raise CorpusError(f"no .txt files in corpus folder {corpus_dir}")
    return paths


def read_corpus_file(path: Path, max_mb: float | None = None) -> CorpusFile:
    """Read one UTF-8 text file, with a clear error for anything else.

    Files over ``max_mb`` (default: QA_MAX_CORPUS_MB, 20) are refused before reading."""
    limit = max_mb if max_mb is not None else Config.from_env().max_corpus_mb
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
