"""Helpers the tests import: a deterministic fake embedder, a tiny slide deck, a running app."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import socket
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from qa.errors import IndexLoadError
from qa.indexing import load_index

TINY_DECK = """\
Ⅰ．世界経済の動向
 Ⅰ－１．コロナ危機からの回復
 2021年の世界経済は、コロナ危機から回復基調の見込み。
 しかし、国・地域ごとに回復のスピードに大きな相違がある。
世界の実質GDP成長率は6.0%と予測される。

 Ⅰ－２．デジタル化の進展
 人の移動が落ち込む一方、リモート関連の分野が伸びている。
 デジタル貿易のルール作りが急務である。データの自由な流通を確保する。

Ⅱ．通商政策の方向性
 Ⅱ－１．WTO改革
 WTOの紛争解決制度は上級委員会の機能停止により揺らいでいる。
 日本は上級委員会の改革に向けた議論を主導する。
電子商取引に関する交渉には86か国が参加している。
"""

_WORD = re.compile(r"[0-9A-Za-z]+|[^\s0-9A-Za-z]")


class FakeEmbedder:
    """Keyword-hashing embedder with the ``Embedder`` protocol of ``qa.embedding``.

    Each ASCII word and each pair of neighbouring non-ASCII characters is hashed (sha256,
    so runs agree) into one of ``dim`` buckets; vectors are L2-normalised float32. Texts
    sharing words get similar vectors, which is all retrieval tests need.
    """

    query_prefix = "query: "
    passage_prefix = "passage: "

    def __init__(self, dim: int = 64, model_id: str = "fake:hashing-64"):
        self.dim = dim
        self.model_id = model_id
        self.calls = 0

    def fingerprint(self) -> str:
        return hashlib.sha256(f"{self.model_id}:{self.dim}".encode()).hexdigest()[:16]

    def _features(self, text: str) -> list[str]:
        tokens = _WORD.findall(unicodedata.normalize("NFKC", text).lower())
        return tokens + [a + b for a, b in zip(tokens, tokens[1:])]

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for feat in self._features(text):
            digest = hashlib.sha256(feat.encode()).digest()
            vec[int.from_bytes(digest[:4], "little") % self.dim] += 1.0
        if not vec.any():
            vec[0] = 1.0  # an empty text still gets a unit vector
        return vec / np.linalg.norm(vec)

    def _encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self._vector(text)
        return out

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self._encode(texts)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)


@contextlib.contextmanager
def running_app(service, lang: str = "ja"):
    """The real Gradio app around ``service`` on a free 127.0.0.1 port; yields its URL."""
    from qa import web

    demo = web.build_demo(service, lang=lang)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True,
                **web.launch_options(), **web.api_options(service, "127.0.0.1"))
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


# --- index and corpus files for fault tests ---------------------------------------------

FAKE_ID = "fake:hashing-64"  # FakeEmbedder().model_id
INDEX_FILES = ("manifest.json", "passages.jsonl", "documents.jsonl", "sentences.npy", "sentences_titled.npy",
               "passage_glosses.npy", "synonyms.json", "vectors.faiss")


def load(index: Path, corpus: Path | None = None):
    return load_index(index, corpus, FAKE_ID)


def refused(index: Path, corpus: Path | None = None) -> str:
    """The IndexLoadError message for loading ``index``."""
    with pytest.raises(IndexLoadError) as info:
        load(index, corpus)
    return str(info.value)


def snapshot(index: Path) -> dict[str, bytes]:
    return {name: (index / name).read_bytes() for name in INDEX_FILES}


def edit_manifest(index: Path, **changes) -> None:
    path = index / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def one_file_corpus(tmp_path: Path, data: bytes, name: str = "doc.txt") -> Path:
    folder = tmp_path / "bad_corpus"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(data)
    return folder


def erofs(*args, **kwargs):
    """Stands in for a write on a read-only file system."""
    raise OSError(30, "Read-only file system")


# --- gold files ----------------------------------------------------------------------------

GOOD = {"id": "ja-001", "lang": "ja", "question": "世界の成長率は？", "answer": "6.0%",
        "answer_keys": ["6.0"], "evidence": ["世界の成長率は 6.0"], "split": "dev"}


def write_lines(path: Path, objs: list) -> Path:
    """A JSONL file of ``objs`` (dicts as JSON, strings as they are)."""
    path.write_text("\n".join(o if isinstance(o, str) else json.dumps(o, ensure_ascii=False)
                              for o in objs) + "\n", encoding="utf-8")
    return path


def never_abstaining(model):
    """``model`` with its abstention thresholds and off-topic guards out of reach: every question
    is answered (the fake embedder's cosines are not calibrated like e5's)."""
    from dataclasses import replace

    from qa.answer_model import AnswerModel

    out = {lang: replace(lm, abstain_at=2.0, hedge_at=2.0, confident_cos=-1.0, max_untranslated=2.0)
           for lang, lm in model.languages.items()}
    return AnswerModel(out, model.provenance)
