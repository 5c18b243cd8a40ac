"""The chat's upload panel: only with --allow-upload; uploads are checked like `qa add`."""

from __future__ import annotations

import json

from support import FAKE_ID, FakeEmbedder, snapshot

from qa.chat_service import ChatService
from qa.config import Config
from qa.indexing import load_index


def _service(tiny_index, tiny_corpus):
    from qa.chain import Assistant
    from qa.retrieving import Retriever

    embedder = FakeEmbedder()
    retriever = Retriever(load_index(tiny_index, tiny_corpus, FAKE_ID), lambda: embedder)
    config = Config(index_dir=tiny_index, corpus_dir=tiny_corpus)
    return ChatService(assistant=Assistant(retriever, "extractive", config))


def test_upload_adds_a_pdf_and_the_chat_answers_from_it(tiny_index, tiny_corpus, white_paper_pdf):
    service = _service(tiny_index, tiny_corpus)
    message = service.add_documents([(white_paper_pdf, "white_paper.pdf")])
    assert message.startswith("Added: added white_paper.pdf"), message
    hits = service.search("半導体の国内生産額", k=3)
    assert hits[0]["document"] == "white_paper" and hits[0]["page"] == 2
    assert ("white_paper/p2", "第2章\u2003半導体") in service.sections()


def test_upload_refuses_a_bad_file_in_one_line(tmp_path, tiny_index, tiny_corpus):
    service = _service(tiny_index, tiny_corpus)
    before = snapshot(tiny_index)
    bad = tmp_path / "scan.pdf"
    bad.write_bytes(b"%PDF-1.7 broken")
    message = service.add_documents([(bad, "scan.pdf")])
    assert message.startswith("Not added: scan.pdf is not a readable PDF") and "\n" not in message
    same = tmp_path / "deck.txt"
    same.write_text("別の内容。", encoding="utf-8")
    assert "already has a document named deck.txt" in service.add_documents([(same, "deck.txt")])
    assert snapshot(tiny_index) == before and sorted(p.name for p in tiny_corpus.iterdir()) == ["deck.txt"]


def test_upload_panel_only_when_allowed(tiny_index, tiny_corpus):
    from qa import web

    service = _service(tiny_index, tiny_corpus)
    ids = [json.dumps(web.build_demo(service, allow_upload=f).config, default=str) for f in (False, True)]
    assert "qa-upload" not in ids[0] and "qa-upload" in ids[1]
