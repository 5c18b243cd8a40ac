"""Build, save and load the index: the store's vectors, JSONL passages and documents, lexicon, synonyms.

Nothing is pickled. A build is written to a temporary sibling folder and swapped in,
so a crash mid-build leaves the previous index usable. A build is incremental: only added or
changed documents are embedded (``qa.doc_index``). Loading checks the manifest against the
corpus, the model and this package's version. The vectors live in the store the manifest names
(``qa.store``: ``vectors.faiss`` here, or a Milvus collection); everything else in the folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from qa import __version__
from qa.chunking import ChunkParams
from qa.config import embed_model
from qa.corpus import CorpusFile, corpus_fingerprint, read_corpus_file
from qa.doc_index import (
    DOCUMENTS,
    Changes,
    DocumentData,
    concat,
    embed_documents,
    split_by_document,
    write_documents,
)
from qa.errors import CorpusError, IndexLoadError
from qa.gloss_index import embed_glosses, known_glosses
from qa.index_files import read_documents_file, read_passages, read_unit_vectors
from qa.index_lexicon import LEXICON, build_lexicon, lexicon_record, lexicon_staleness, read_lexicon
from qa.lexicon import Lexicon, save_lexicon
from qa.records import Passage
from qa.segmenting import segmenter_info
from qa.store import VectorStore, build_store, open_store
from qa.synonyms import SYNONYMS, Synonyms, build_synonyms, read_synonyms, save_synonyms

FORMAT_VERSION = 7  # 4: the lexicon; 5: several documents (documents.jsonl), passages with document and page;
# 6: the passages' dictionary glosses embedded (GLOSS_VECTORS); 7: the corpus's synonym groups (SYNONYMS)
MANIFEST = "manifest.json"
PASSAGES = "passages.jsonl"
UNIT_VECTORS = "sentences.npy"  # one row per sentence/table row, in passage order
TITLED_VECTORS = "sentences_titled.npy"  # the same sentences embedded after their slide title
GLOSS_VECTORS = "passage_glosses.npy"  # with the lexicon: each passage's glosses embedded (English)


@dataclass
class Manifest:
    format_version: int
    package_version: str
    model_id: str
    model_fingerprint: str
    dim: int
    normalized: bool
    metric: str
    query_prefix: str
    passage_prefix: str
    chunker: dict
    segmenter: dict
    corpus: dict[str, str]  # file name -> sha256
    n_passages: int
    built_at: str = ""
    build_seconds: float = 0.0
    # {"dictionary", "dictionary_version", "sha256", counts}; None: built without the bridge
    lexicon: dict | None = None
    extra: dict = field(default_factory=dict)
    store: dict = field(default_factory=lambda: {"kind": "faiss"})  # qa.store: kind, Milvus collection

    @classmethod
    def from_dict(cls, data: dict) -> Manifest:
        known = {f for f in cls.__dataclass_fields__}
        missing = known - set(data) - {"built_at", "build_seconds", "lexicon", "extra", "store"}
        if missing:
            raise IndexLoadError(f"manifest is missing fields: {', '.join(sorted(missing))}")
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class Index:
    folder: Path
    manifest: Manifest
    passages: list[Passage]
    terms: list[list[str]]
    store: VectorStore
    units: list[list[tuple[int, int]]]  # per passage: raw (start, end) of its sentences
    unit_vectors: np.ndarray  # (total sentences, dim), rows in passage order
    titled_vectors: np.ndarray  # same rows, each embedded as "<slide title> <sentence>"
    unit_offsets: list[int]  # first row of each passage's sentences in unit_vectors
    documents: dict[str, CorpusFile] = field(default_factory=dict)  # file name -> stored document
    lexicon: Lexicon | None = None  # English questions' bridge to Japanese BM25 terms
    gloss_vectors: np.ndarray | None = None  # (passages, dim), with the lexicon: ``qa.gloss_index``
    synonyms: Synonyms | None = None  # Japanese questions' words -> the deck's (``qa.synonyms``)

    @property
    def texts(self) -> dict[str, str]:
        """{file name: the text its passages and citations point into}."""
        return {name: d.text for name, d in self.documents.items()}

    def passage_units(self, idx: int, titled: bool = False) -> tuple[list[tuple[int, int]], np.ndarray]:
        a = self.unit_offsets[idx]
        spans = self.units[idx]
        vectors = self.titled_vectors if titled else self.unit_vectors
        return spans, vectors[a:a + len(spans)]


def _passage_row(p: Passage, p_terms: list[str], units: list[tuple[int, int]]) -> dict:
    return {"id": p.id, "section": p.section, "title": p.title, "text": p.text,
            "start": p.start, "end": p.end, "source": p.source, "document": p.document,
            "page": p.page, "terms": p_terms, "units": [list(u) for u in units]}


def _offsets(units: list[list[tuple[int, int]]]) -> list[int]:
    out, total = [], 0
    for u in units:
        out.append(total)
        total += len(u)
    return out


def build_index(corpus_dir: Path, index_dir: Path, embedder, params: ChunkParams | None = None,
                progress: bool = True, incremental: bool = True, bridge: bool = True,
                dictionary: Path | None = None, store: str | None = None) -> Manifest:
    return update_index(corpus_dir, index_dir, embedder, params, progress, incremental, bridge, dictionary,
                        store)[0]


def _previous(index_dir: Path, embedder, params: ChunkParams) -> tuple[dict[str, DocumentData], dict]:
    """Per-document data of a previous index built the same way (same model, chunker,
    segmenter and format), and its embedded glosses by text; else nothing: then every document
    is embedded again."""
    try:
        old = load_index(index_dir, None, embedder.model_id)
    except IndexLoadError:
        return {}, {}
    try:
        same = old.manifest.model_fingerprint == embedder.fingerprint()
        if same and old.manifest.chunker == params.to_dict():
            return split_by_document(old.documents, old.passages, old.terms, old.units, old.store.vectors(),
                                     old.unit_vectors, old.titled_vectors), known_glosses(old)
        return {}, {}
    finally:
        old.store.close()


def write_parts(index_dir: Path, parts: list[DocumentData], embedder, params: ChunkParams,
                started: float, embedded: list[str], bridge: bool = True,
                dictionary: Path | None = None, store: str | None = None, glosses: dict | None = None
                ) -> Manifest:
    """Join the documents' data and write it atomically; corpus-wide artefacts come from stored
    per-document data: the lexicon from the texts, BM25/IDF from terms at load; the model embeds
    only the glosses of passages ``glosses`` (the previous index's, by passage text) lacks."""
    passages, p_terms, units, vectors, unit_vectors, titled_vectors = concat(parts, embedder.dim)
    texts = [d.doc.text for d in parts]
    lexicon = build_lexicon(texts, dictionary) if bridge else None
    arrays = {UNIT_VECTORS: unit_vectors, TITLED_VECTORS: titled_vectors}
    if lexicon is not None:
        arrays[GLOSS_VECTORS] = embed_glosses(passages, lexicon, embedder, glosses or {})
    vstore = build_store(store, _store_record(index_dir), index_dir, passages, p_terms, vectors)
    manifest = Manifest(
        format_version=FORMAT_VERSION, package_version=__version__,
        model_id=embedder.model_id, model_fingerprint=embedder.fingerprint(), dim=int(embedder.dim),
        normalized=True, metric="inner_product", query_prefix=embedder.query_prefix,
        passage_prefix=embedder.passage_prefix, chunker=params.to_dict(), segmenter=segmenter_info(),
        corpus={d.doc.name: d.doc.sha256 for d in parts}, n_passages=len(passages),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        extra={"documents": len(parts), "embedded": embedded},
        lexicon=lexicon_record(lexicon) if lexicon else None, store=vstore.record(),
    )
    manifest.build_seconds = round(time.perf_counter() - started, 2)
    try:
        _write_atomically(Path(index_dir), manifest, passages, p_terms, units, arrays,
                          vstore, [d.doc for d in parts], lexicon, build_synonyms(texts))
    except BaseException:
        vstore.discard()
        raise
    vstore.retire()
    vstore.close()
    return manifest


def _store_record(index_dir: Path) -> dict | None:
    try:
        return read_manifest(index_dir).store
    except IndexLoadError:
        return None


def update_index(corpus_dir: Path, index_dir: Path, embedder, params: ChunkParams | None = None,
                 progress: bool = True, incremental: bool = True, bridge: bool = True,
                 dictionary: Path | None = None, store: str | None = None) -> tuple[Manifest, Changes]:
    """Embed the documents new or changed since the index at ``index_dir`` was built, reuse the
    rest, write the whole index atomically. A bad document raises ``CorpusError`` first."""
    t0 = time.perf_counter()
    params = params or ChunkParams()
    index_dir = Path(index_dir)
    shas = corpus_fingerprint(corpus_dir)
    old, glosses = _previous(index_dir, embedder, params) if incremental else ({}, {})
    old_shas = {name: d.doc.sha256 for name, d in old.items()}
    reused = {name: d for name, d in old.items() if shas.get(name) == d.doc.sha256}
    fresh = [read_corpus_file(Path(corpus_dir) / name) for name in shas if name not in reused]
    made = {d.doc.name: d for d in embed_documents(fresh, embedder, params, progress)}
    for name, d in made.items():
        if not d.passages:
            raise CorpusError(f"{name} yields no text to index")
    parts = [reused.get(name) or made[name] for name in shas]
    changes = Changes(sorted(n for n in made if n not in old_shas), sorted(n for n in made if n in old_shas),
                      sorted(n for n in old_shas if n not in shas), sorted(reused), full=not reused)
    manifest = write_parts(index_dir, parts, embedder, params, t0, sorted(made), bridge, dictionary, store,
                           glosses)
    return manifest, changes


def _write_atomically(index_dir: Path, manifest: Manifest, passages: list[Passage],
                      p_terms: list[list[str]], units: list[list[tuple[int, int]]],
                      arrays: dict[str, np.ndarray], store: VectorStore, docs: list[CorpusFile],
                      lexicon: Lexicon | None = None, synonyms: Synonyms | None = None) -> None:
    parent = index_dir.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{index_dir.name}.new-", dir=parent))
    except OSError as exc:
        raise IndexLoadError(f"cannot write the index next to {index_dir}: {exc.strerror or exc}") from exc
    try:
        tmp.chmod(0o755)
        store.save(tmp)
        write_documents(tmp, docs)
        if lexicon is not None:
            save_lexicon(lexicon, tmp / LEXICON)
        if synonyms is not None:
            save_synonyms(synonyms, tmp / SYNONYMS)
        for name, arr in arrays.items():
            np.save(tmp / name, np.asarray(arr, dtype=np.float32), allow_pickle=False)
        with (tmp / PASSAGES).open("w", encoding="utf-8") as fh:
            for p, t, u in zip(passages, p_terms, units):
                fh.write(json.dumps(_passage_row(p, t, u), ensure_ascii=False) + "\n")
        (tmp / MANIFEST).write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=2) + "\n",
                                    encoding="utf-8")
        old = parent / f".{index_dir.name}.old"
        if old.exists():
            shutil.rmtree(old)
        moved = index_dir.exists()
        if moved:
            os.replace(index_dir, old)
        try:
            os.replace(tmp, index_dir)
        except OSError:
            if moved:  # put the previous index back, so it stays usable
                os.replace(old, index_dir)
            raise
        shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise IndexLoadError(f"cannot write the index to {index_dir}: {exc.strerror or exc}") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def read_manifest(index_dir: Path) -> Manifest:
    index_dir = Path(index_dir)
    if not index_dir.is_dir():
        raise IndexLoadError(f"no index at {index_dir}: build it with `qa index`")
    path = index_dir / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IndexLoadError(f"{path} is missing: rebuild with `qa index`") from exc
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise IndexLoadError(f"{path} is unreadable or corrupt: rebuild with `qa index`") from exc
    if not isinstance(data, dict):
        raise IndexLoadError(f"{path} is not a manifest: rebuild with `qa index`")
    return Manifest.from_dict(data)


def staleness(manifest: Manifest, corpus_dir: Path | None = None, model_id: str | None = None) -> str:
    """Why the index no longer matches (empty string when it does)."""
    if manifest.format_version != FORMAT_VERSION or manifest.package_version != __version__:
        return (f"the index was built by version {manifest.package_version} "
                f"(format {manifest.format_version}); this is {__version__}")
    if manifest.segmenter != segmenter_info():
        return "the index was built with another segmenter setting"
    if reason := lexicon_staleness(manifest.lexicon):
        return reason
    if model_id and manifest.model_id != model_id:
        return f"the index was built with model {manifest.model_id!r}, not {model_id!r}"
    if corpus_dir is not None:
        current = corpus_fingerprint(Path(corpus_dir))
        if current != manifest.corpus:
            return "the corpus changed since the index was built"
    return ""


def load_index(index_dir: Path, corpus_dir: Path | None = None, model_id: str | None = None) -> Index:
    """Load and validate an index; raise ``IndexLoadError`` with a clear reason otherwise."""
    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    reason = staleness(manifest, corpus_dir, model_id)
    if reason:
        raise IndexLoadError(f"index at {index_dir} is stale: {reason}. Rebuild with `qa index`")
    store = open_store(index_dir, manifest.store, manifest.dim, manifest.n_passages)
    try:
        return _load_rest(index_dir, manifest, store)
    except BaseException:
        store.close()
        raise


def _load_rest(index_dir: Path, manifest: Manifest, store: VectorStore) -> Index:
    passages, p_terms, units = read_passages(index_dir / PASSAGES)
    unit_vectors = read_unit_vectors(index_dir / UNIT_VECTORS)
    titled_vectors = read_unit_vectors(index_dir / TITLED_VECTORS)
    if not (len(passages) == len(store) == manifest.n_passages):
        raise IndexLoadError(
            f"index at {index_dir} is inconsistent: {len(passages)} passages, {len(store)} vectors, "
            f"manifest says {manifest.n_passages}. Rebuild with `qa index`"
        )
    if store.dim != manifest.dim:
        raise IndexLoadError(f"index at {index_dir}: vectors have dimension {store.dim}, "
                          f"manifest says {manifest.dim}. Rebuild with `qa index`")
    for name, arr in ((UNIT_VECTORS, unit_vectors), (TITLED_VECTORS, titled_vectors)):
        if arr.shape != (sum(map(len, units)), manifest.dim):
            raise IndexLoadError(f"index at {index_dir}: {name} is out of step with the "
                                 "passages. Rebuild with `qa index`")
    documents = read_documents_file(index_dir / DOCUMENTS)
    if set(documents) != set(manifest.corpus) or any(p.source not in documents for p in passages):
        raise IndexLoadError(f"index at {index_dir}: {DOCUMENTS} is out of step with the "
                             "manifest. Rebuild with `qa index`")
    lexicon = read_lexicon(index_dir, manifest.lexicon)
    glosses = read_unit_vectors(index_dir / GLOSS_VECTORS) if lexicon is not None else None
    if glosses is not None and glosses.shape != (len(passages), manifest.dim):
        raise IndexLoadError(f"index at {index_dir}: {GLOSS_VECTORS} is out of step with the "
                             "passages. Rebuild with `qa index`")
    return Index(index_dir, manifest, passages, p_terms, store, units, unit_vectors, titled_vectors,
                 _offsets(units), documents, lexicon, glosses, read_synonyms(index_dir / SYNONYMS))


def current_problem(index_dir: Path, corpus_dir: Path, model: str | None) -> str:
    """Why the index at ``index_dir`` must be (re)built, or "" when it is usable."""
    try:
        load_index(index_dir, corpus_dir, embed_model(model))
    except IndexLoadError as exc:
        return str(exc)
    return ""
