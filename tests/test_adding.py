"""Adding documents (``qa add``, ``qa index``) and refusing bad ones with one line, index intact."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pdfs import blank_pdf, encrypted_pdf
from support import FAKE_ID, FakeEmbedder, snapshot
from typer.testing import CliRunner

from qa.adding import add_documents
from qa.errors import CorpusError
from qa.indexing import load_index


@pytest.fixture
def cli(monkeypatch):
    from qa.cli import app

    for name in ("QA_EMBED_MODEL", "QA_INDEX_DIR", "QA_CORPUS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("qa.embedding.SentenceTransformerEmbedder", lambda model=None, **kw: FakeEmbedder())
    return lambda *args: CliRunner().invoke(app, list(args))


def _bad_files(tmp_path: Path, white_paper_pdf: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, the words its one-line message must contain)."""
    good = white_paper_pdf.read_bytes()
    files = {
        "locked.pdf": (encrypted_pdf(good), "password-protected"),
        "broken.pdf": (good[: len(good) // 3], "not a readable PDF"),
        "scan.pdf": (blank_pdf(2), "no text layer (a scanned or image-only PDF): run OCR"),
        "empty.pdf": (blank_pdf(0), "no pages"),
        "huge.pdf": (blank_pdf(500), "500 pages, over the 300-page limit"),
        "fake.pdf": (b"hello, I am not a PDF", "not a PDF"),
        "blank.txt": (b"  \n\n ", "is empty"),
        "deck.md": (b"# same name as deck.txt\n", "already has a document named deck.txt"),
        "image.png": (b"\x89PNG\r\n", "only .txt, .md and .pdf"),
    }
    out = {}
    for name, (data, words) in files.items():
        path = tmp_path / "incoming" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        out[name] = (path, words)
    return out


def test_bad_documents_are_refused_in_one_line_and_nothing_indexed_is_lost(
        tmp_path, tiny_corpus, tiny_index, white_paper_pdf):
    before, files = snapshot(tiny_index), sorted(p.name for p in tiny_corpus.iterdir())
    for name, (path, words) in _bad_files(tmp_path, white_paper_pdf).items():
        with pytest.raises(CorpusError) as info:
            add_documents([(path, name)], tiny_corpus, tiny_index, FakeEmbedder())
        message = str(info.value)
        assert words in message and "\n" not in message, (name, message)
        assert snapshot(tiny_index) == before, name
        assert sorted(p.name for p in tiny_corpus.iterdir()) == files, name


def test_a_failed_index_update_removes_the_copied_file(tmp_path, tiny_corpus, tiny_index, white_paper_pdf):
    class Crashing(FakeEmbedder):
        def encode_passages(self, texts, progress=False):
            raise RuntimeError("out of memory")

    before = snapshot(tiny_index)
    with pytest.raises(RuntimeError):
        add_documents([(white_paper_pdf, "white_paper.pdf")], tiny_corpus, tiny_index, Crashing())
    assert not (tiny_corpus / "white_paper.pdf").exists()
    assert snapshot(tiny_index) == before


def test_qa_add_then_qa_index_report_what_changed(cli, tmp_path, tiny_corpus, tiny_index, white_paper_pdf):
    args = ("--corpus", str(tiny_corpus), "--index", str(tiny_index))
    result = cli("add", str(white_paper_pdf), *args)
    assert result.exit_code == 0, result.output
    assert "added white_paper.pdf" in result.output and "1 unchanged" in result.output
    assert (tiny_corpus / "white_paper.pdf").exists()
    passages = load_index(tiny_index, tiny_corpus, FAKE_ID).passages
    assert {p.page for p in passages if p.document == "white_paper"} == {1, 2, 3}

    again = cli("add", str(white_paper_pdf), *args)
    assert again.exit_code == 2 and "already has a document named white_paper.pdf" in again.output
    assert len(again.output.strip().splitlines()) == 1

    (tiny_corpus / "deck.txt").unlink()
    shutil.copy(white_paper_pdf, tiny_corpus / "copy.pdf")
    result = cli("index", *args)
    assert result.exit_code == 0, result.output
    assert "added copy.pdf; removed deck.txt (1 unchanged" in result.output
    assert "nothing changed" in cli("index", *args).output


def test_qa_index_refuses_two_files_with_one_name(cli, tiny_corpus, tiny_index):
    (tiny_corpus / "deck.md").write_text("# メモ\n", encoding="utf-8")
    before = snapshot(tiny_index)
    result = cli("index", "--corpus", str(tiny_corpus), "--index", str(tiny_index))
    assert result.exit_code == 2 and "have the same name 'deck'" in result.output
    assert snapshot(tiny_index) == before
