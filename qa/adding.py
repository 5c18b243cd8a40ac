"""Add documents to the corpus: check them as the index would, copy them in, index incrementally.

The command line (``qa add``) and the chat's upload panel use the same checks. A file is refused
with one line when its type is not .txt/.md/.pdf, it is too large, unreadable, a PDF without text,
or its name (file stem) is already taken in the corpus; nothing is copied then. If indexing fails
after the copy, the copies are removed again, so corpus and index stay in step.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from qa.corpus import CORPUS_SUFFIXES, CorpusFile, corpus_paths, read_corpus_file
from qa.errors import CorpusError


def check_new(path: Path, corpus_dir: Path, name: str | None = None) -> CorpusFile:
    """The document at ``path`` (to be stored as ``name``), read and validated; a
    ``CorpusError`` if it cannot be added to the corpus at ``corpus_dir``."""
    path = Path(path)
    name = name or path.name
    if Path(name).name != name or name.startswith("."):
        raise CorpusError(f"{name!r} is not a plain file name")
    if Path(name).suffix.lower() not in CORPUS_SUFFIXES:
        raise CorpusError(f"{name}: only .txt, .md and .pdf documents can be added")
    if not path.is_file():
        raise CorpusError(f"{path} is not a file")
    existing = _existing(corpus_dir)
    stem = Path(name).stem.casefold()
    if stem in existing:
        raise CorpusError(f"{name}: the corpus already has a document named {existing[stem]}: "
                          "rename the new file, or remove the old one first")
    doc = read_corpus_file(path)
    return CorpusFile(name, doc.text, doc.sha256, doc.pages)


def _existing(corpus_dir: Path) -> dict[str, str]:
    try:
        return {p.stem.casefold(): p.name for p in corpus_paths(corpus_dir)}
    except CorpusError:
        if Path(corpus_dir).is_dir() or not Path(corpus_dir).exists():
            return {}  # an empty (or not yet made) corpus folder
        raise


def copy_in(files: list[tuple[Path, str]], corpus_dir: Path) -> list[Path]:
    """Copy (path, name) pairs into the corpus (each through a temporary name, then renamed)."""
    corpus_dir = Path(corpus_dir)
    corpus_dir.mkdir(parents=True, exist_ok=True)
    done = []
    try:
        for path, name in files:
            tmp = corpus_dir / f".{name}.part"
            shutil.copyfile(path, tmp)
            os.replace(tmp, corpus_dir / name)
            done.append(corpus_dir / name)
    except OSError as exc:
        remove(done)
        raise CorpusError(f"cannot copy into {corpus_dir}: {exc.strerror or exc}") from exc
    return done


def remove(paths: list[Path]) -> None:
    for p in paths:
        Path(p).unlink(missing_ok=True)


def add_documents(files: list[tuple[Path, str]], corpus_dir: Path, index_dir: Path, embedder,
                  progress: bool = False):
    """Check every file, copy them all in and update the index; returns (Manifest, Changes).

    Any problem raises before the index changes; copied files are removed again on failure."""
    from qa.indexing import update_index

    names = [name for _, name in files]
    stems = [Path(n).stem.casefold() for n in names]
    if len(set(stems)) != len(stems):
        raise CorpusError(f"two of the files have the same name: {', '.join(names)}")
    for path, name in files:
        check_new(path, corpus_dir, name)
    copied = copy_in(files, corpus_dir)
    try:
        return update_index(corpus_dir, index_dir, embedder, progress=progress)
    except BaseException:
        remove(copied)
        raise
