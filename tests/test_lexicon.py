"""The English -> Japanese lexicon: a tiny JMdict-shaped database, then the real one."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from qa.errors import LexiconError
from qa.lexicon import (
    Entry,
    Lexicon,
    TranslateParams,
    english_words,
    lemma,
    lexicon_hash,
    load_lexicon,
    save_lexicon,
)
from qa.lexicon_build import build_lexicon

TINY_TEXT = """\
米国は半導体のサプライチェーンを強化し、輸出管理を見直す。
EUとRCEPの交渉から景気が回復となる見込み。
Data Free Flow with Trustを推進する。
G7サミット＠コーンウォール
米を輸出する。ベトナムと協議。
"""

NOUN = "noun (common) (futsuumeishi)"
# (idseq, kanji forms, kana forms, priority tags, senses: (pos, misc, glosses))
TINY_WORDS = [
    (1, ["半導体"], ["はんどうたい"], ["news1"], [(NOUN, None, ["semiconductor"])]),
    (2, [], ["サプライチェーン"], ["gai1"], [(NOUN, None, ["supply chain"])]),
    (3, [], ["サプライ"], [], [(NOUN, None, ["supply"])]),
    (4, [], ["チェーン"], ["gai1"], [(NOUN, None, ["chain"])]),
    (5, ["輸出"], ["ゆしゅつ"], ["news1"], [(NOUN, None, ["export", "exportation"])]),
    (6, ["輸出管理"], ["ゆしゅつかんり"], [], [(NOUN, None, ["export control"])]),
    (7, ["管理"], ["かんり"], ["news1"], [(NOUN, None, ["control", "management"])]),
    (8, [], ["から"], ["spec1"], [("particle", None, ["from", "since"])]),
    (9, [], ["となる"], [], [("expressions (phrases, clauses, etc.)", None, ["to become"])]),
    (10, ["交渉"], ["こうしょう"], ["news1"], [(NOUN, None, ["negotiations", "bargaining"])]),
    (11, ["回復"], ["かいふく"], ["news1"], [(NOUN, None, ["recovery", "to recover"])]),
    (12, ["米"], ["こめ"], ["ichi1"], [(NOUN, None, ["rice"]),
                                     (NOUN, "archaism", ["eighty-eight"])]),
    (13, ["米国"], ["べいこく"], ["news1"], [(NOUN, None,
                                          ["(United States of) America", "USA", "US"])]),
    (14, ["国"], ["くに"], [], [(NOUN, None, ["country"])]),
    (15, [], ["ライ"], [], [(NOUN, None, ["rye"])]),
    (16, ["強化"], ["きょうか"], ["news1"], [("noun or participle which takes the aux. verb suru", None,
                                          ["strengthening (something) to do", "to strengthen"])]),
    (17, ["見込み"], ["みこみ"], ["news1"], [(NOUN, None, ["prospects", "expectation",
                                                         "the ... of (something) in a very long way"])]),
]
TINY_WORDS.append((18, [], ["ベトナム"], ["gai1"], [(NOUN, None, ["Vietnam"])]))
TINY_NAMES = [(5000001, [], ["コーンウォール"], "place", ["Cornwall (Canada)"]),
              (5000002, ["強化"], [], "surname", ["Kyouka"])]


def make_db(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE Kanji(ID INTEGER PRIMARY KEY, idseq INTEGER, text TEXT);
        CREATE TABLE Kana(ID INTEGER PRIMARY KEY, idseq INTEGER, text TEXT, nokanji BOOLEAN);
        CREATE TABLE KJP(kid INTEGER, text TEXT);
        CREATE TABLE KNP(kid INTEGER, text TEXT);
        CREATE TABLE Sense(ID INTEGER PRIMARY KEY, idseq INTEGER);
        CREATE TABLE SenseGloss(sid INTEGER, lang TEXT, gend TEXT, text TEXT);
        CREATE TABLE pos(sid INTEGER, text TEXT);
        CREATE TABLE misc(sid INTEGER, text TEXT);
        CREATE TABLE stagk(sid INTEGER, text TEXT);
        CREATE TABLE stagr(sid INTEGER, text TEXT);
        CREATE TABLE NEKanji(ID INTEGER PRIMARY KEY, idseq INTEGER, text TEXT);
        CREATE TABLE NEKana(ID INTEGER PRIMARY KEY, idseq INTEGER, text TEXT, nokanji BOOLEAN);
        CREATE TABLE NETranslation(ID INTEGER PRIMARY KEY, idseq INTEGER);
        CREATE TABLE NETransType(tid INTEGER, text TEXT);
        CREATE TABLE NETransGloss(tid INTEGER, lang TEXT, gend TEXT, text TEXT);
    """)
    for idseq, kanji, kana, tags, senses in TINY_WORDS:
        for text in kanji:
            kid = db.execute("INSERT INTO Kanji(idseq, text) VALUES (?, ?)", (idseq, text)).lastrowid
            db.executemany("INSERT INTO KJP VALUES (?, ?)", [(kid, t) for t in tags])
        for text in kana:
            kid = db.execute("INSERT INTO Kana(idseq, text) VALUES (?, ?)", (idseq, text)).lastrowid
            db.executemany("INSERT INTO KNP VALUES (?, ?)", [(kid, t) for t in tags if not kanji])
        for pos, misc, glosses in senses:
            sid = db.execute("INSERT INTO Sense(idseq) VALUES (?)", (idseq,)).lastrowid
            db.execute("INSERT INTO pos VALUES (?, ?)", (sid, pos))
            if misc:
                db.execute("INSERT INTO misc VALUES (?, ?)", (sid, misc))
            db.executemany("INSERT INTO SenseGloss VALUES (?, 'eng', NULL, ?)", [(sid, g) for g in glosses])
    for idseq, kanji, kana, typ, glosses in TINY_NAMES:
        for text in kanji:
            db.execute("INSERT INTO NEKanji(idseq, text) VALUES (?, ?)", (idseq, text))
        for text in kana:
            db.execute("INSERT INTO NEKana(idseq, text) VALUES (?, ?)", (idseq, text))
        tid = db.execute("INSERT INTO NETranslation(idseq) VALUES (?)", (idseq,)).lastrowid
        db.execute("INSERT INTO NETransType VALUES (?, ?)", (tid, typ))
        db.executemany("INSERT INTO NETransGloss VALUES (?, NULL, NULL, ?)", [(tid, g) for g in glosses])
    db.commit()
    db.close()
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    db = make_db(tmp_path_factory.mktemp("jmdict") / "tiny.db")
    return build_lexicon([TINY_TEXT], db_path=db)


@pytest.mark.parametrize("word, expected", [
    ("measures", "measure"), ("chains", "chain"), ("negotiations", "negotiation"), ("signed", "sign"),
    ("recovering", "recover"), ("exports", "export"), ("RCEP", "rcep"), ("US", "usa"), ("Chinese", "china"),
])
def test_lemmas(word, expected):
    assert lemma(word) == expected


def test_question_words_and_stopwords_are_dropped_but_acronyms_kept():
    words = english_words("What measures did the US take, according to the document?")
    assert [w for w, _, _ in words] == ["measure", "usa"]
    assert [w for w, _, _ in english_words("Is IT mentioned?")] == ["it"]


def test_longest_phrase_first_each_word_once(tiny):
    q = "How is the supply chain for semiconductors strengthened, and what about supply?"
    matches = tiny.translate(q)
    assert [m.phrase for m in matches] == ["supply chain", "semiconductor", "strengthen", "supply"]
    first = matches[0]
    assert first.headwords == ("サプライチェーン",)
    assert q[first.start:first.end] == "supply chain"
    assert set(first.terms) == {"サプライ", "チェーン"}  # Sudachi mode A splits the compound
    assert matches[1].headwords == ("半導体",) and q[matches[1].start:matches[1].end] == "semiconductors"
    assert matches[3].headwords == ("サプライ",)


def test_phrase_across_a_stopword_and_inflections(tiny):
    matches = tiny.translate("Which export controls were recovering negotiations about?")
    assert [(m.phrase, m.headwords[0]) for m in matches] == [
        ("export control", "輸出管理"), ("recover", "回復"), ("negotiation", "交渉")]


def test_grammar_words_one_kanji_rare_senses_and_inner_substrings_are_dropped(tiny):
    assert "から" not in tiny.entries and "となる" not in tiny.entries
    assert "from" not in tiny.phrases and "become" not in tiny.phrases
    assert "国" not in tiny.entries  # one kanji, not common
    assert tiny.entries["米"].glosses == ("rice",)  # one kanji, common: the archaic sense is gone
    assert "ライ" not in tiny.entries  # inside サプライ, not at a morpheme boundary
    assert tiny.translate("from becoming") == []


def test_gloss_notes_trimmed_and_lowercase_keys(tiny):
    assert "strengthen" in tiny.phrases and "strengthening" not in tiny.phrases
    assert tiny.entries["強化"].glosses[0] == "strengthening"
    assert all(k == k.lower() for k in tiny.phrases)
    assert "America" in tiny.entries["米国"].glosses
    assert [m.headwords for m in tiny.translate("the United States and the U.S.")] == [("米国",), ("米国",)]


def test_latin_words_of_the_document_match_themselves(tiny):
    [m] = tiny.translate("What is Data Free Flow with Trust?")
    assert m.headwords == ("Data Free Flow with Trust",)
    assert m.terms == ("data", "free", "flow", "trust")
    assert tiny.query_terms("Is the EU in RCEP?") == ["eu", "rcep"]


def test_ranking_parameters(tiny):
    both = tiny.translate("supply chain management", max_headwords_per_phrase=2)
    assert both[-1].headwords == ("管理",)
    tiny_common = tiny.translate("supply", params=TranslateParams(common_only=True))
    assert tiny_common == []  # サプライ is not priority-tagged
    assert tiny.translate("export", max_headwords_per_phrase=0) == []


def test_query_terms_are_flat_and_unique(tiny):
    terms = tiny.query_terms("export control and exports of semiconductors")
    assert terms == list(dict.fromkeys(terms))
    assert {"輸出", "管理", "半", "導体"} <= set(terms)


def test_glossary_of_a_japanese_quote(tiny):
    assert tiny.glosses("半導体の輸出管理を強化し、交渉から回復となる") == [
        ("半導体", "semiconductor"), ("輸出管理", "export control"), ("強化", "strengthening"),
        ("交渉", "negotiations"), ("回復", "recovery")]
    assert tiny.glosses("米を輸出") == [("輸出", "export")]  # one character: its first gloss is a guess


def test_english_name(tiny):
    assert tiny.english_name("コーンウォール") == "Cornwall"
    assert tiny.english_name("ベトナム") == "Vietnam"  # a JMdict word glossed by a proper noun
    assert tiny.english_name("半導体") is None and tiny.english_name("グラスゴー") is None
    assert "強化" not in tiny.entries or tiny.entries["強化"].kind == "word"  # a word beats a surname


def test_save_load_round_trip_and_hash(tiny, tmp_path):
    path = save_lexicon(tiny, tmp_path / "sub" / "lexicon.json")
    loaded = load_lexicon(path)
    assert loaded.entries == tiny.entries and loaded.phrases == tiny.phrases
    assert loaded.translate("supply chain exports") == tiny.translate("supply chain exports")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert lexicon_hash(tiny) == lexicon_hash(path) == digest
    meta = json.loads(path.read_text(encoding="utf-8"))["meta"]
    assert meta["dictionary"] == "jamdict-data" and meta["counts"]["headwords"] == len(
        [e for e in tiny.entries.values() if e.kind == "word"])
    assert "\n" not in path.read_text(encoding="utf-8")  # compact


def test_missing_or_corrupt_lexicon_is_a_clear_error(tiny, tmp_path):
    with pytest.raises(LexiconError, match="not found"):
        load_lexicon(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"meta": {', encoding="utf-8")
    with pytest.raises(LexiconError, match="corrupt"):
        load_lexicon(bad)
    bad.write_text('{"meta": {"format": "other"}, "headwords": {}, "phrases": {}}', encoding="utf-8")
    with pytest.raises(LexiconError, match="not a qa-lexicon"):
        load_lexicon(bad)
    data = json.loads(save_lexicon(tiny, tmp_path / "ok.json").read_text(encoding="utf-8"))
    data["phrases"]["ghost"] = [["幽霊", 0]]
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(LexiconError, match="unknown headwords"):
        load_lexicon(bad)
    data["headwords"] = []
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(LexiconError, match="corrupt"):
        load_lexicon(bad)


def test_missing_or_unreadable_dictionary(tmp_path):
    with pytest.raises(LexiconError, match="not found"):
        build_lexicon([TINY_TEXT], db_path=tmp_path / "nope.db")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 100)
    with pytest.raises(LexiconError, match="cannot read"):
        build_lexicon([TINY_TEXT], db_path=junk)


# ------------------------------------------------------------------ the real dictionary

@pytest.fixture(scope="session")
def real_lexicon():
    from qa.jmdict import default_db_path

    db = default_db_path()
    assert db is not None and db.is_file(), "jamdict-data (a dependency) is not installed"
    text = (Path(__file__).parent.parent / "corpus" / "trade_policy_2021.txt").read_text(encoding="utf-8")
    return build_lexicon([text])  # its build time is reported by the closing note, not asserted


@pytest.mark.slow
def test_real_lexicon_bridges_the_deck(real_lexicon):
    lex = real_lexicon
    [m] = lex.translate("supply chains")
    assert "サプライチェーン" in m.headwords and {"サプライ", "チェーン"} <= set(m.terms)
    assert "半導体" in lex.translate("semiconductor")[0].headwords
    assert lex.translate("export controls")[0].headwords[0] == "輸出管理"
    assert lex.english_name("コーンウォール") == "Cornwall"
    assert lex.english_name("グラスゴー") == "Glasgow"
    assert {"rcep", "dfft"} <= set(lex.query_terms("How do RCEP and DFFT relate?"))
    assert "から" not in lex.entries and "こと" not in lex.entries
    assert lex.meta["dictionary_version"] and lex.meta["counts"]["headwords"] > 1000


def test_a_sense_restricted_to_a_reading_still_glosses_the_kanji_form(tmp_path):
    """JMdict binds 中国's first senses (China, ...) to the reading ちゅうごく (stagr): they belong
    to the kanji form too; a sense bound to another kanji form (stagk) does not."""
    db = make_db(tmp_path / "tiny.db")
    con = sqlite3.connect(db)
    con.execute("INSERT INTO Kanji(idseq, text) VALUES (90, '中国')")
    con.execute("INSERT INTO Kanji(idseq, text) VALUES (90, '中國')")
    kid = con.execute("SELECT ID FROM Kanji WHERE text = '中国'").fetchone()[0]
    con.execute("INSERT INTO KJP VALUES (?, 'news1')", (kid,))
    con.execute("INSERT INTO Kana(idseq, text) VALUES (90, 'ちゅうごく')")
    con.execute("INSERT INTO Kana(idseq, text) VALUES (90, 'ちゅうこく')")
    for gloss, table, restricted_to in (("China", "stagr", "ちゅうごく"), ("old China", "stagk", "中國"),
                                        ("province of the second lowest rank", "stagr", "ちゅうこく")):
        sid = con.execute("INSERT INTO Sense(idseq) VALUES (90)").lastrowid
        con.execute("INSERT INTO pos VALUES (?, ?)", (sid, NOUN))
        con.execute("INSERT INTO SenseGloss VALUES (?, 'eng', NULL, ?)", (sid, gloss))
        con.execute(f"INSERT INTO {table} VALUES (?, ?)", (sid, restricted_to))
    con.commit()
    con.close()
    lex = build_lexicon(["中国と協議する。"], db_path=db)
    assert lex.glosses("中国と協議")[0] == ("中国", "China")
    assert lex.entries["中国"].glosses == ("China", "province of the second lowest rank")
    assert [m.headwords for m in lex.translate("trade with China")] == [("中国",)]


@pytest.mark.slow
def test_real_lexicon_terms_are_index_terms(real_lexicon):
    """Every term the bridge produces is a term the BM25 index can contain."""
    from qa.segmenting import terms

    lex = real_lexicon
    text = (Path(__file__).parent.parent / "corpus" / "trade_policy_2021.txt").read_text(encoding="utf-8")
    vocab = set(terms(text))
    q = "What does the document say about semiconductor supply chains and export controls with China?"
    missing = [t for t in lex.query_terms(q) if t not in vocab]
    assert not missing


def test_glossary_reads_an_inflected_verb_by_its_dictionary_form():
    lex = Lexicon({
        "通じ": Entry(("通じる",), True, 3, ("bowel movement",), "word"),
        "通じる": Entry(("通じる",), True, 3, ("lead", "communicate"), "word"),
        "利活用": Entry(("利活用",), False, 1, ("use and application",), "word"),
    }, {})
    assert lex.glosses("データの利活用を通じたイノベーション") == [("利活用", "use and application"),
                                                            ("通じる", "lead")]
    lex.entries["為る"] = Entry(("為る",), True, 9, ("carry out",), "word")
    lex.entries["停止"] = Entry(("停止",), True, 2, ("stoppage",), "word")
    assert lex.glosses("取引を停止する一方") == [("停止", "stoppage")]  # する is grammar here


def test_a_state_s_name_is_also_its_country_s():
    from qa.lexicon_build import gloss_keys

    # JMdict glosses 韓国 "South Korea; Republic of Korea": "Korea" alone must find it
    assert ("korea", 0) in gloss_keys("Republic of Korea")
    assert ("china", 0) in gloss_keys("People's Republic of China")
    assert [k for k, _ in gloss_keys("South Korea")] == ["south korea"]  # not "South Africa" -> Africa
    assert [k for k, _ in gloss_keys("Ministry of Economy")] == ["ministry economy"]


def test_hyphenated_countries_are_also_read_as_the_deck_writes_them(tiny):
    from qa.country_names import paired_form

    assert paired_form(["japan", "usa", "australia", "india"]) == "日米豪印"
    assert paired_form(["japan"]) is None and paired_form(["japan", "mars"]) is None
    pairs = {m.phrase: m.headwords for m in tiny.translate("Japan-US summit and US-China talks")}
    assert pairs["japan-us"] == ("日米",) and pairs["us-china"] == ("米中",)
    assert "cross-border" not in {m.phrase for m in tiny.translate("cross-border data flows")}


def test_content_words_read_unknown_compounds_as_parts_and_adverbs_as_adjectives():
    lex = Lexicon({"GAIA": Entry(("gaia",), False, 1, ("GAIA",), "latin"),
                   "正式": Entry(("正式",), True, 2, ("official", "formal"), "word"),
                   "供給": Entry(("供給",), True, 5, ("supply",), "word")},
                  {"gaia": [("GAIA", 0)], "official": [("正式", 0)], "supply": [("供給", 0)]})
    q = "When was GAIA-X officially launched, and how was it supplied?"
    assert [w for w, _, _ in lex.content_words(q)] == ["gaia", "official", "launch", "supply"]
    assert [m.headwords for m in lex.translate(q)] == [("GAIA",), ("正式",), ("供給",)]
    # an adverb the lexicon knows, or whose adjective it lacks, stays as it is
    assert [w for w, _, _ in lex.content_words("remotely")] == ["remotely"]
