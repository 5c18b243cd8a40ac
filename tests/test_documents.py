"""A corpus of several documents: a slide deck, Markdown notes and a PDF white paper side by side.

The PDF is printed by headless Chromium from Japanese text (tests/pdfs.py), once per session.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import TINY_DECK, FakeEmbedder

from qa.chunking import ChunkParams
from qa.corpus import read_corpus_file
from qa.indexing import load_index, update_index
from qa.pdf import fold_glyphs
from qa.structure import chunk_document

NOTES = """\
# 自分のメモ

通商白書の要点を整理する。

## RCEP

RCEPは2022年1月1日に発効した。参加国は15か国である。

```
# これは見出しではない
```

## CPTPP

英国がCPTPPへの加入を申請した。
"""


@pytest.fixture
def corpus(tmp_path, white_paper_pdf) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "deck.txt").write_text(TINY_DECK, encoding="utf-8")
    (folder / "notes.md").write_text(NOTES, encoding="utf-8")
    shutil.copy(white_paper_pdf, folder / "white_paper.pdf")
    return folder


@pytest.fixture
def index(tmp_path, corpus) -> Path:
    update_index(corpus, tmp_path / "index", FakeEmbedder(), progress=False)
    return tmp_path / "index"


def test_pdf_pages_are_read_in_order_with_unified_kanji(white_paper_pdf):
    doc = read_corpus_file(white_paper_pdf)
    assert doc.kind == "pdf" and len(doc.pages) == 3
    page2 = doc.text[slice(*doc.pages[1])]
    assert "半導体の国内生産額を2030年に15兆円へ引き上げることを目指す。" in page2
    assert page2.index("第2章") < page2.index("先端ロジック")
    assert not any(0x2F00 <= ord(ch) <= 0x2FDF for ch in doc.text)  # no Kangxi radicals left


def test_fold_glyphs_keeps_length():
    raw = "⽇本の⻑期⽬標‧⽶国"
    assert fold_glyphs(raw) == "日本の長期目標・米国"
    assert len(fold_glyphs(raw)) == len(raw)


def test_every_kind_gets_its_structure(corpus):
    deck, notes, pdf = (read_corpus_file(corpus / n) for n in ("deck.txt", "notes.md", "white_paper.pdf"))
    assert {p.section for p in chunk_document(deck)} >= {"Ⅰ-1", "Ⅰ-2", "Ⅱ-1"}
    md = chunk_document(notes)
    assert [p.section for p in md][:1] == ["自分のメモ"] and {"RCEP", "CPTPP"} <= {p.section for p in md}
    assert all("これは見出しではない" not in p.title for p in md)  # a # inside a code fence
    pages = chunk_document(pdf)
    assert {(p.section, p.page) for p in pages} == {("p1", 1), ("p2", 2), ("p3", 3)}
    assert all(p.text == pdf.text[p.start:p.end] for p in pages)


def test_plain_text_falls_back_to_sentence_packing_without_losing_a_character(tmp_path):
    text = "これは見出しのない文書です。" * 40 + "\n最後の一文。"
    (tmp_path / "plain.txt").write_text(text, encoding="utf-8")
    passages = chunk_document(read_corpus_file(tmp_path / "plain.txt"), ChunkParams(max_chars=100))
    assert len(passages) > 3 and {p.section for p in passages} == {"text"}
    kept = "".join(p.text for p in passages)
    assert kept.replace("\n", "") == text.replace("\n", "")


def test_ids_are_unique_and_name_their_document(index, corpus):
    idx = load_index(index, corpus, FakeEmbedder().model_id)
    ids = [p.id for p in idx.passages]
    assert len(ids) == len(set(ids))
    assert {i.split("/")[0] for i in ids} == {"deck", "notes", "white_paper"}
    assert "deck/Ⅰ-1#1" in ids and "white_paper/p2#1" in ids
    for p in idx.passages:
        assert idx.texts[p.source][p.start:p.end] == p.text


def _assistant(index, corpus):
    from support import never_abstaining

    from qa.answer_model import load_model
    from qa.chain import Assistant
    from qa.config import Config
    from qa.retrieving import Retriever

    embedder = FakeEmbedder()
    retriever = Retriever(load_index(index, corpus, embedder.model_id), lambda: embedder)
    return Assistant(retriever, "extractive", Config(index_dir=index, corpus_dir=corpus),
                     model=never_abstaining(load_model()))


def test_a_question_only_the_pdf_answers_is_cited_with_its_page(index, corpus):
    from qa.render import render_answer

    assistant = _assistant(index, corpus)
    answer = assistant.ask("半導体の国内生産額は2030年にいくらを目指す？")
    assert not answer.abstained
    first = answer.citations[0]
    assert (first.document, first.page) == ("white_paper", 2)
    assert "15兆円" in first.quote
    text = assistant.retriever.index.texts["white_paper.pdf"]
    assert text[first.start:first.end] == first.quote
    html = render_answer(answer, "ja", assistant.retriever)
    assert "white_paper p.2" in html and "第2章" in html  # the card and the page viewer


def test_adding_a_document_embeds_only_that_document(tmp_path, corpus, index):
    embedder = CountingEmbedder()
    before = load_index(index, corpus, embedder.model_id)
    (corpus / "extra.md").write_text("# 追加\n\n新しい文書にだけ書かれた一文。\n", encoding="utf-8")
    manifest, changes = update_index(corpus, index, embedder, progress=False)
    assert (changes.added, changes.changed, changes.removed) == (["extra.md"], [], [])
    glosses = [t for t in embedder.texts if t.isascii()]  # the passages' dictionary glosses (English)
    japanese = [t for t in embedder.texts if t not in glosses]
    assert japanese and all("新しい文書" in t or "追加" in t for t in japanese)
    assert glosses == ["addition; new; document; write; insignificant"]  # the others' glosses are reused
    after = load_index(index, corpus, embedder.model_id)
    old = {p.id: i for i, p in enumerate(before.passages)}
    for i, p in enumerate(after.passages):
        if p.id in old:
            assert (before.store.vector(old[p.id]) == after.store.vector(i)).all()
    assert manifest.n_passages == len(before.passages) + 1


def test_an_added_documents_words_join_the_synonym_table(corpus, index):
    embedder = CountingEmbedder()
    question = "ファンドの規模は？"  # the deck's word for it is 基金, once a document writes it
    assert load_index(index, corpus, embedder.model_id).synonyms.of(question) == ()
    (corpus / "extra.md").write_text("# 追加\n\n新たな基金を創設。\n", encoding="utf-8")
    update_index(corpus, index, embedder, progress=False)
    assert load_index(index, corpus, embedder.model_id).synonyms.of(question) == ((("ファンド",), ("基金",)),)


def test_changing_and_removing_documents(corpus, index):
    embedder = CountingEmbedder()
    (corpus / "notes.md").write_text("# 改訂\n\n書き直したメモ。\n", encoding="utf-8")
    (corpus / "deck.txt").unlink()
    _, changes = update_index(corpus, index, embedder, progress=False)
    assert (changes.added, changes.changed, changes.removed) == ([], ["notes.md"], ["deck.txt"])
    assert changes.unchanged == ["white_paper.pdf"]
    idx = load_index(index, corpus, embedder.model_id)
    assert {p.document for p in idx.passages} == {"notes", "white_paper"}
    assert all("白書" not in t for t in embedder.texts)  # the PDF was not embedded again
    _, again = update_index(corpus, index, embedder, progress=False)
    assert again.summary() == "nothing changed"


class CountingEmbedder(FakeEmbedder):
    """Records every text it embeds."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []

    def encode_passages(self, texts, progress=False):
        self.texts.extend(texts)
        return super().encode_passages(texts, progress)
