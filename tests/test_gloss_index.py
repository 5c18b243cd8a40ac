"""Passages read through their headwords' dictionary glosses (``qa.gloss_index``)."""

from __future__ import annotations

from dataclasses import replace

from qa.gloss_index import GlossBm25, gloss_bags, gloss_texts
from qa.lexicon import Entry, Lexicon
from qa.records import Passage


def _lexicon() -> Lexicon:
    entries = {
        "署名": Entry(("署名",), True, 2, ("signature", "signing", "autograph"), "word"),
        "協定": Entry(("協定",), True, 3, ("agreement", "pact"), "word"),
        "輸出": Entry(("輸出",), True, 2, ("export",), "word"),
        "規制": Entry(("規制",), True, 2, ("regulation", "control"), "word"),
        "輸出規制": Entry(("輸出", "規制"), False, 1, ("export control",), "word"),
        "米": Entry(("米",), True, 5, ("rice",), "word"),  # one character: its gloss is a guess
        "RCEP": Entry(("rcep",), True, 2, ("RCEP",), "latin"),
    }
    return Lexicon(entries, {})


def test_a_passage_is_read_as_its_headwords_first_glosses():
    docs = [["rcep", "協定", "署名"], ["輸出", "規制", "米"], ["規制"]]
    bags = [sorted(b) for b in gloss_bags(docs, _lexicon())]
    assert bags[0] == ["agreement", "pact", "rcep", "sign", "signature"]  # two glosses a headword, lemmas
    # a compound headword counts when all its terms are there; a one-character headword never
    assert bags[1] == ["control", "control", "export", "export", "regulation"]
    assert bags[2] == ["control", "regulation"]
    assert sorted(gloss_bags(docs, _lexicon(), glosses=1)[0]) == ["agreement", "rcep", "signature"]


def test_english_words_find_the_passage_whose_glosses_hold_them():
    docs = [["rcep", "協定", "署名"], ["輸出", "規制"], ["米"]]
    index = GlossBm25(docs, _lexicon())
    assert [i for i, _ in index.top("Who signed the agreement?", 5)] == [0]
    assert [i for i, _ in index.top("Which export controls were tightened?", 5)] == [1]
    assert index.top("What about rice?", 5) == []  # 米 is not glossed
    assert index.top("?", 5) == []


def test_a_passage_is_embedded_as_its_glosses_in_reading_order_title_first():
    passage = Passage("d/1#1", "1", "RCEP協定", "輸出規制に署名。輸出規制", 0, 12)
    # the longest headword first (輸出規制, not 輸出), each once; the deck's own Latin words are left
    # to the passage's own vector
    assert gloss_texts([passage], _lexicon()) == ["agreement; export control; signature"]


def test_only_english_questions_fuse_the_gloss_ranking(tiny_index, tiny_corpus, fake_embedder):
    from qa.retrieving import Retriever

    r = Retriever.load(index_dir=tiny_index, embedder=fake_embedder, corpus_dir=tiny_corpus)
    lexicon = Lexicon({"紛争": Entry(("紛争",), True, 1, ("dispute", "conflict"), "word")}, {})
    r.index = replace(r.index, lexicon=lexicon)
    gloss = r.rank("How are trade conflicts settled?", language="en").gloss
    assert gloss and all("紛争" in r.passages[i].text for i, _ in gloss)
    assert r.rank("貿易紛争の解決", language="ja").gloss == []
    # the passages' embedded glosses rank every passage for an English question, never a Japanese one
    assert len(r.rank("How are trade conflicts settled?", language="en").gloss_dense) == len(r.passages)
    assert r.rank("貿易紛争の解決", language="ja").gloss_dense == []
    # the answerer reads the fusion without them (its abstention signals, eval/README "Round 24")
    ranked = r.rank("How are trade conflicts settled?", language="en")
    for_answers = r.fuse(ranked, "hybrid", "en", answering=True)
    assert for_answers == r.fuse(replace(ranked, gloss_dense=[]), "hybrid", "en")
    assert r.fuse(ranked, "hybrid", "en") != for_answers
    r.fusion = replace(r.fusion, gloss_weight={"en": 0.0}, gloss_dense_weight={"en": 0.0})
    assert r.rank("How are trade conflicts settled?", language="en").gloss == []
    assert r.rank("How are trade conflicts settled?", language="en").gloss_dense == []
