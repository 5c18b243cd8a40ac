"""The index's lexicon file: built from the documents' texts, recorded in the manifest, checked at load.

The lexicon (``qa.lexicon``) is corpus-wide: an incremental build recomputes it from every
document's stored text, without the embedding model.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from qa.errors import IndexLoadError, LexiconError
from qa.lexicon import BUILDER_VERSION, Lexicon, lexicon_hash, load_lexicon

LEXICON = "lexicon.json"  # the English -> Japanese bridge (JMdict/JMnedict, corpus-restricted)


def build_lexicon(texts: list[str], dictionary: Path | None) -> Lexicon:
    from qa.lexicon_build import build_lexicon as build

    try:
        return build(texts, dictionary)
    except LexiconError as exc:
        raise IndexLoadError(f"cannot build the English bridge: {exc}") from exc


def lexicon_record(lexicon: Lexicon) -> dict:
    meta = lexicon.meta
    return {"dictionary": meta.get("dictionary"), "dictionary_version": meta.get("dictionary_version"),
            "builder_version": meta.get("builder_version"), "licence": meta.get("licence"),
            "counts": meta.get("counts"), "sha256": lexicon_hash(lexicon)}


def lexicon_staleness(record: dict | None) -> str:
    """Why the index's lexicon must be rebuilt (a manifest without a builder version predates 2)."""
    if record and record.get("builder_version", 1) != BUILDER_VERSION:
        return (f"its English lexicon was built by lexicon builder {record.get('builder_version', 1)}; "
                f"this is {BUILDER_VERSION}")
    return ""


def read_lexicon(index_dir: Path, record: dict | None) -> Lexicon | None:
    """The index's lexicon, refused when missing, corrupt or not the one the manifest names."""
    if not record:
        return None
    path = Path(index_dir) / LEXICON
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IndexLoadError(f"{path} is missing: rebuild with `qa index`") from exc
    if hashlib.sha256(data).hexdigest() != record.get("sha256"):
        raise IndexLoadError(f"{path} does not match the manifest: rebuild with `qa index`")
    try:
        return load_lexicon(path)
    except LexiconError as exc:
        raise IndexLoadError(f"{exc}: rebuild with `qa index`") from exc
