"""The passage store in Milvus: metadata, dense vectors and BM25 sparse vectors in one collection.

One collection per index build (``<QA_MILVUS_COLLECTION>_<build id>``), written before the local
index folder is swapped in and named by its manifest, so a failed build leaves the previous
collection and folder as they were, and processes still serving the previous build keep it
until they reload (the previous build's collection is kept, the one before it dropped: only
collections this index's manifests named, never another index's). Each row is one
passage: ``pos`` (its row in the index), id, document, section, title, text, offsets, page, a
``FLOAT_VECTOR`` (FLAT, inner product: exact, as FAISS ``IndexFlatIP``) and a
``SPARSE_FLOAT_VECTOR`` of its Lucene BM25 term weights (``qa.lexical.bm25_weights``; term ids
from ``bm25_vocabulary.json`` in the index folder). Sudachi stays the analyzer: Milvus stores,
indexes and searches. URI, token and timeouts come from ``qa.config.Config``.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from qa.config import Config
from qa.errors import IndexLoadError, StoreError
from qa.lexical import bm25_weights, query_counts, vocabulary
from qa.records import Passage

VOCABULARY = "bm25_vocabulary.json"  # the sparse vectors' term ids, in id order
BATCH = 1000  # rows per insert / query call
MAX_LIMIT = 16384  # Milvus's largest top-k
TIE_MARGIN = 10  # extra results fetched so ties at the cut are broken by row, as bm25s and FAISS do
INSTALL_HINT = "pip install 'qa-trade-policy[milvus]' (or: pip install 'pymilvus[milvus-lite]')"


@dataclass(frozen=True)
class MilvusSettings:
    uri: str  # a milvus-lite *.db path, or http(s)://host:port of a server or cluster
    token: str
    prefix: str  # collection name prefix
    timeout_s: float

    @property
    def lite(self) -> bool:
        return "://" not in self.uri

    @property
    def shown(self) -> str:
        """The URI without any user:password in it, for messages and the manifest."""
        if self.lite:
            return self.uri
        parts = urlsplit(self.uri)
        return parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else "")).geturl()


def milvus_settings(index_dir: Path) -> MilvusSettings:
    """QA_MILVUS_URI (default: ``<index folder>.milvus.db`` beside the index, a milvus-lite file)."""
    cfg = Config.from_env()
    index_dir = Path(index_dir).resolve()
    uri = cfg.milvus_uri or str(index_dir.parent / f"{index_dir.name}.milvus.db")
    if "://" not in uri:
        if not uri.endswith(".db"):
            raise StoreError(f"QA_MILVUS_URI={uri!r}: a milvus-lite path must end in .db "
                             "(or give http://host:19530 for a Milvus server)")
        uri = str(Path(uri).expanduser().resolve())
    return MilvusSettings(uri, cfg.milvus_token, cfg.milvus_collection, cfg.milvus_timeout_s)


def connect(settings: MilvusSettings):
    """A ``MilvusClient``; ``StoreError`` in one line when pymilvus is missing or Milvus is unreachable."""
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise StoreError(f"the Milvus store needs pymilvus: {INSTALL_HINT}") from None
    logging.getLogger("pymilvus").setLevel(logging.CRITICAL)  # failures are reported as one line
    if settings.lite:
        Path(settings.uri).parent.mkdir(parents=True, exist_ok=True)
    try:
        return MilvusClient(uri=settings.uri, token=settings.token, timeout=settings.timeout_s)
    except Exception as exc:  # MilvusException, grpc errors, OSError: all mean "cannot connect"
        raise StoreError(f"cannot reach Milvus at {settings.shown} ({_first_line(exc)}): start the "
                         "server or fix QA_MILVUS_URI") from None


def _first_line(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return text.splitlines()[0][:160]


def _schema(client, dim: int):
    from pymilvus import DataType

    s = client.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("pos", DataType.INT64, is_primary=True)
    for name in ("pid", "document", "source", "section", "title", "text"):
        s.add_field(name, DataType.VARCHAR, max_length=65535)
    for name in ("start_char", "end_char", "page"):
        s.add_field(name, DataType.INT64)
    s.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
    s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    index = client.prepare_index_params()
    index.add_index("dense", index_type="FLAT", metric_type="IP")
    index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    return s, index


def _row(pos: int, p: Passage, vector: np.ndarray, sparse: dict[int, float], empty_id: int) -> dict:
    return {"pos": pos, "pid": p.id, "document": p.document, "source": p.source, "section": p.section,
            "title": p.title, "text": p.text, "start_char": p.start, "end_char": p.end,
            "page": -1 if p.page is None else int(p.page), "dense": vector.tolist(),
            # Milvus refuses an all-zero sparse vector: a passage without terms gets a term id no
            # query ever holds, so it scores 0 as in bm25s
            "sparse": sparse or {empty_id: 1.0}}


class MilvusStore:
    """One index build's collection; the ``VectorStore`` of ``qa.store`` plus BM25 search."""

    kind = "milvus"

    def __init__(self, client, settings: MilvusSettings, collection: str, dim: int, n: int,
                 vocab: dict[str, int], previous: dict | None = None):
        self._client, self.settings, self.collection = client, settings, collection
        self.dim, self._n, self._vocab = dim, n, vocab
        same = bool(previous) and previous.get("kind") == self.kind and previous.get("uri") == settings.shown
        self._previous = previous if same else {}  # the record of the build this one replaces

    @classmethod
    def create(cls, settings: MilvusSettings, passages: list[Passage], p_terms: list[list[str]],
               vectors: np.ndarray, previous: dict | None = None) -> MilvusStore:
        """Write a new collection for these passages (dropped again if writing fails);
        ``previous``: the store record of the index it replaces."""
        vectors = np.asarray(vectors, dtype=np.float32)
        dim = int(vectors.shape[1])
        vocab = vocabulary(p_terms)
        client = connect(settings)
        store = cls(client, settings, f"{settings.prefix}_{uuid.uuid4().hex[:12]}", dim, len(passages), vocab,
                    previous)
        try:
            schema, index = _schema(client, dim)
            client.create_collection(store.collection, schema=schema, index_params=index)
            weights = bm25_weights(p_terms, vocab)
            for a in range(0, len(passages), BATCH):
                client.insert(store.collection, [_row(i, passages[i], vectors[i], weights[i], len(vocab))
                                                 for i in range(a, min(a + BATCH, len(passages)))])
            client.flush(store.collection)
        except Exception as exc:
            store.discard()
            raise StoreError(f"Milvus at {settings.shown} could not store the index "
                             f"({_first_line(exc)}); the previous index is unchanged") from None
        return store

    @classmethod
    def open(cls, folder: Path, record: dict, dim: int, n: int) -> MilvusStore:
        """The collection the manifest ``record`` names, checked against it (present, same
        dimension, same number of rows) and loaded for search."""
        settings = milvus_settings(folder)
        name = str(record.get("collection", ""))
        vocab = _read_vocabulary(Path(folder) / VOCABULARY)
        client = connect(settings)
        try:
            if not client.has_collection(name):
                raise IndexLoadError(f"the index's Milvus collection {name!r} is missing at {settings.shown}"
                                     f" (built at {record.get('uri')}): set QA_MILVUS_URI to where it "
                                     "was built, or rebuild with `qa index --store milvus`")
            fields = {f["name"]: f for f in client.describe_collection(name)["fields"]}
            got = int(fields.get("dense", {}).get("params", {}).get("dim", -1))
            if got != dim:
                raise IndexLoadError(f"Milvus collection {name!r} holds {got}-dimensional vectors, the "
                                     f"index {dim}-dimensional ones: rebuild with `qa index --store milvus`")
            client.load_collection(name)
            store = cls(client, settings, name, dim, 0, vocab)
            store._n = store._count()
        except IndexLoadError:
            client.close()
            raise
        except Exception as exc:
            client.close()
            raise StoreError(f"Milvus at {settings.shown} failed to open {name!r} "
                             f"({_first_line(exc)})") from None
        if store._n != n:
            store.close()
            raise IndexLoadError(f"Milvus collection {name!r} holds {store._n} passages, the index {n}: "
                                 "rebuild with `qa index --store milvus`")
        return store

    def _call(self, method: str, *args, **kwargs):
        try:
            return getattr(self._client, method)(*args, **kwargs)
        except Exception as exc:
            raise StoreError(f"Milvus at {self.settings.shown} failed ({_first_line(exc)})") from None

    def _count(self) -> int:
        rows = self._call("query", self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def __len__(self) -> int:
        return self._n

    def record(self) -> dict:
        """What the manifest says about this store."""
        return {"kind": self.kind, "collection": self.collection, "uri": self.settings.shown,
                "previous": self._previous.get("collection")}

    def _search(self, data, field: str, k: int) -> list[tuple[int, float]]:
        k = min(k, self._n)
        if k <= 0:
            return []
        hits = self._call("search", self.collection, data=[data], anns_field=field,
                          limit=min(k + TIE_MARGIN, MAX_LIMIT), output_fields=["pos"],
                          search_params={"metric_type": "IP"})[0]
        found = sorted(((int(h["pos"]), float(h["distance"])) for h in hits), key=lambda t: (-t[1], t[0]))
        return found[:k]

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        return self._search(np.asarray(query, dtype=np.float32).ravel().tolist(), "dense", k)

    def vector(self, i: int) -> np.ndarray:
        rows = self._call("query", self.collection, filter=f"pos == {int(i)}", output_fields=["dense"])
        if not rows:
            raise StoreError(f"Milvus collection {self.collection!r} has no row {i}")
        return np.asarray(rows[0]["dense"], dtype=np.float32)

    def vectors(self) -> np.ndarray:
        """All stored vectors, in row order (for an incremental rebuild)."""
        out = np.zeros((self._n, self.dim), dtype=np.float32)
        for a in range(0, self._n, BATCH):
            rows = self._call("query", self.collection, filter=f"pos >= {a} and pos < {a + BATCH}",
                              output_fields=["pos", "dense"], limit=BATCH)
            for r in rows:
                out[int(r["pos"])] = r["dense"]
        return out

    def lexical(self, doc_terms: list[list[str]]) -> MilvusBm25:
        return MilvusBm25(self)

    def bm25(self, matched: list[str], n: int) -> list[tuple[int, float]]:
        """Passages by the inner product of their BM25 weights with the query's term counts:
        Lucene BM25 as bm25s scores it."""
        query = query_counts(matched, self._vocab)
        return [(i, s) for i, s in self._search(query, "sparse", n) if s > 0] if query else []

    def save(self, folder: Path) -> None:
        terms = sorted(self._vocab, key=self._vocab.__getitem__)
        (Path(folder) / VOCABULARY).write_text(json.dumps(terms, ensure_ascii=False) + "\n", encoding="utf-8")

    def discard(self) -> None:
        """Drop this build's collection (its build failed) and close the connection."""
        try:
            if self._client.has_collection(self.collection):
                self._client.drop_collection(self.collection)
        except Exception:  # best effort: the failure being reported matters more
            pass
        self.close()

    def retire(self) -> None:
        """After the new index folder is in place: drop the collection of the build before the
        previous one (the previous one is kept for processes still serving it)."""
        older = self._previous.get("previous")
        if older and older not in (self.collection, self._previous.get("collection")):
            if self._call("has_collection", older):
                self._call("drop_collection", older)

    def close(self) -> None:
        try:
            self._client.close()
        except Exception:
            pass


class MilvusBm25:
    """The retriever's BM25 ranking, answered by the Milvus collection's sparse vectors."""

    def __init__(self, store: MilvusStore):
        self._store = store
        self.vocab = set(store._vocab)

    def top(self, matched: list[str], n: int) -> list[tuple[int, float]]:
        return self._store.bm25(matched, n)


def _read_vocabulary(path: Path) -> dict[str, int]:
    try:
        terms = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexLoadError(f"{path} is missing: rebuild with `qa index --store milvus`") from None
    except (OSError, ValueError) as exc:
        raise IndexLoadError(f"{path} is corrupt ({type(exc).__name__}): rebuild with `qa index`") from None
    if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
        raise IndexLoadError(f"{path} is not a term list: rebuild with `qa index`")
    return {t: i for i, t in enumerate(terms)}
