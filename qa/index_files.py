"""Read the index folder's sidecar files (passages, sentence matrices, documents), refusing bad ones."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from qa.corpus import CorpusFile
from qa.doc_index import read_documents
from qa.errors import IndexLoadError
from qa.records import Passage


def read_documents_file(path: Path) -> dict[str, CorpusFile]:
    try:
        return read_documents(path)
    except FileNotFoundError as exc:
        raise IndexLoadError(f"{path} is missing: rebuild with `qa index`") from exc
    except (OSError, ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise IndexLoadError(f"{path} is corrupt ({type(exc).__name__}): rebuild with `qa index`") from exc


def read_unit_vectors(path: Path) -> np.ndarray:
    try:
        arr = np.load(path, allow_pickle=False)
    except FileNotFoundError as exc:
        raise IndexLoadError(f"{path} is missing: rebuild with `qa index`") from exc
    except (OSError, ValueError) as exc:
        raise IndexLoadError(f"{path} is corrupt: rebuild with `qa index`") from exc
    if arr.ndim != 2 or arr.dtype != np.float32:
        raise IndexLoadError(f"{path} has shape {arr.shape} / {arr.dtype}: rebuild with `qa index`")
    return arr


def read_passages(path: Path) -> tuple[list[Passage], list[list[str]], list[list[tuple[int, int]]]]:
    passages, p_terms, units = [], [], []
    try:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                p_terms.append([str(t) for t in row.pop("terms")])
                units.append([(int(a), int(b)) for a, b in row.pop("units")])
                passages.append(Passage(**row))
    except FileNotFoundError as exc:
        raise IndexLoadError(f"{path} is missing: rebuild with `qa index`") from exc
    except (OSError, ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise IndexLoadError(f"{path} is corrupt ({type(exc).__name__}): rebuild with `qa index`") from exc
    return passages, p_terms, units
