"""Per-document index data: a document's passages, terms, sentences and vectors, made or reused.

The index is the concatenation of its documents' data in corpus order. An incremental build
embeds only added or changed documents and takes every other document's rows, unchanged, out
of the previous index; corpus-wide statistics (BM25 and its IDF) are computed from the stored
per-passage terms when the index is loaded, so they never need the model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.chunking import ChunkParams, embedding_text, sentence_spans
from qa.corpus import CorpusFile
from qa.records import Passage
from qa.segmenting import terms
from qa.structure import chunk_document
from qa.text import join_lines

DOCUMENTS = "documents.jsonl"  # per document: name, sha256, kind, page spans and the text cited


@dataclass(frozen=True)
class DocumentData:
    """Everything the index holds about one document; row i of each array is passage i's."""

    doc: CorpusFile
    passages: list[Passage]
    terms: list[list[str]]
    units: list[list[tuple[int, int]]]  # per passage: raw (start, end) of its sentences
    vectors: np.ndarray  # (passages, dim)
    unit_vectors: np.ndarray  # (sentences, dim)
    titled_vectors: np.ndarray  # (sentences, dim): each sentence after its section title


@dataclass(frozen=True)
class Changes:
    """What an index build did to each document (file names, sorted)."""

    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: list[str]
    full: bool  # every document was (re-)embedded: no usable previous index

    def summary(self) -> str:
        parts = [f"{label} {', '.join(names)}" for label, names in
                 (("added", self.added), ("changed", self.changed), ("removed", self.removed)) if names]
        if not parts:
            return "nothing changed"
        return "; ".join(parts) + f" ({len(self.unchanged)} unchanged document(s) reused)"


def embed_documents(docs: list[CorpusFile], embedder, params: ChunkParams,
                    progress: bool = False) -> list[DocumentData]:
    """Chunk, tokenise and embed ``docs`` (one batch per kind of vector for all of them)."""
    parts = []
    texts, unit_texts, titled_texts = [], [], []
    for doc in docs:
        passages = chunk_document(doc, params)
        units = [sentence_spans(doc.text, p.start, p.end) for p in passages]
        p_texts = [embedding_text(p) for p in passages]
        for p, spans in zip(passages, units):
            sentences = [join_lines(doc.text[a:b]) for a, b in spans]
            unit_texts.extend(sentences)
            titled_texts.extend(f"{p.title} {t}" for t in sentences)
        texts.extend(p_texts)
        parts.append((doc, passages, [terms(t) for t in p_texts], units))
    vectors = _encode(embedder, texts, progress)
    # Sentence vectors let the extractive answerer pick the answering sentence in any
    # question language at query time for the cost of a dot product.
    unit_vectors = _encode(embedder, unit_texts, progress)
    # With its slide title a sentence is read in context: better for choosing the answering
    # sentence to a Japanese question (dev accuracy 0.709 -> 0.818), worse for English ones.
    titled_vectors = _encode(embedder, titled_texts, progress)
    out, row, urow = [], 0, 0
    for doc, passages, p_terms, units in parts:
        n_units = sum(map(len, units))
        out.append(DocumentData(doc, passages, p_terms, units, vectors[row:row + len(passages)],
                                unit_vectors[urow:urow + n_units], titled_vectors[urow:urow + n_units]))
        row += len(passages)
        urow += n_units
    return out


def _encode(embedder, texts: list[str], progress: bool) -> np.ndarray:
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.asarray(embedder.encode_passages(texts, progress=progress), dtype=np.float32)


def split_by_document(docs: dict[str, CorpusFile], passages: list[Passage], p_terms: list[list[str]],
                      units: list[list[tuple[int, int]]], vectors: np.ndarray, unit_vectors: np.ndarray,
                      titled_vectors: np.ndarray) -> dict[str, DocumentData]:
    """The rows of a loaded index grouped back into its documents (by ``Passage.source``)."""
    rows: dict[str, list[int]] = {name: [] for name in docs}
    for i, p in enumerate(passages):
        rows.setdefault(p.source, []).append(i)
    starts = np.cumsum([0] + [len(u) for u in units])
    out = {}
    for name, idx in rows.items():
        if name not in docs:
            continue
        urows = np.concatenate([np.arange(starts[i], starts[i + 1]) for i in idx]) if idx else []
        urows = np.asarray(urows, dtype=np.int64)
        out[name] = DocumentData(docs[name], [passages[i] for i in idx], [p_terms[i] for i in idx],
                                 [units[i] for i in idx], vectors[idx], unit_vectors[urows],
                                 titled_vectors[urows])
    return out


def concat(parts: list[DocumentData], dim: int) -> tuple[list[Passage], list[list[str]],
                                                          list[list[tuple[int, int]]], np.ndarray,
                                                          np.ndarray, np.ndarray]:
    """The documents' data joined, in the order given."""
    def stack(arrays: list[np.ndarray]) -> np.ndarray:
        arrays = [a for a in arrays if len(a)]
        return np.vstack(arrays).astype(np.float32) if arrays else np.zeros((0, dim), np.float32)

    return ([p for d in parts for p in d.passages], [t for d in parts for t in d.terms],
            [u for d in parts for u in d.units], stack([d.vectors for d in parts]),
            stack([d.unit_vectors for d in parts]), stack([d.titled_vectors for d in parts]))


def write_documents(folder: Path, docs: list[CorpusFile]) -> None:
    with (Path(folder) / DOCUMENTS).open("w", encoding="utf-8") as fh:
        for d in docs:
            row = {"name": d.name, "sha256": d.sha256, "pages": [list(p) for p in d.pages], "text": d.text}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_documents(path: Path) -> dict[str, CorpusFile]:
    """{file name: document} as stored; raises OSError/ValueError/KeyError/TypeError if unreadable."""
    out = {}
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            pages = tuple((int(a), int(b)) for a, b in row["pages"])
            out[row["name"]] = CorpusFile(str(row["name"]), str(row["text"]), str(row["sha256"]), pages)
    return out
