"""Reading JMdict and JMnedict (the SQLite database of ``jamdict-data``) for the forms that
occur in a corpus: one query per table, filtered in Python or joined against a temporary
table of wanted ids (a query per row takes minutes).

Licence of the data: EDRDG, CC BY-SA 4.0 (attribution required).
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Iterable
from pathlib import Path

MAX_GLOSS_WORDS = 6  # longer glosses are definitions, not translations
MAX_SENSES = 5  # later senses of an entry are rare ones
GLOSS_SLOTS = 8  # sense rank = sense index * GLOSS_SLOTS + the gloss's place in its sense
COMMON_TAGS = frozenset({"news1", "ichi1", "spec1", "spec2", "gai1"})  # JMdict's "P" marker
# Senses with only these parts of speech are grammar, not content.
GRAMMAR_POS = frozenset({
    "particle", "conjunction", "auxiliary verb", "auxiliary", "auxiliary adjective", "copula",
    "pronoun", "prefix", "suffix", "counter", "interjection (kandoushi)", "numeric",
    "pre-noun adjectival (rentaishi)", "noun, used as a suffix", "noun, used as a prefix",
})
EXPRESSION_POS = "expressions (phrases, clauses, etc.)"
SKIPPED_MISC = frozenset({"archaism", "obsolete term", "obscure term", "rare", "vulgar expression or word",
                          "slang", "Internet slang", "manga slang", "derogatory", "dated term"})
KANA_ONLY_MISC = "word usually written using kana alone"
NAME_TYPES_KANJI = frozenset({"place", "organization", "company", "product"})
# A headword in hiragana only keeps senses with one of these (drops なる, による, とする).
HIRAGANA_CONTENT_POS = frozenset({
    "noun (common) (futsuumeishi)", "adjectival nouns or quasi-adjectives (keiyodoshi)",
    "adjective (keiyoushi)", "noun or participle which takes the aux. verb suru",
})

_FULL_WIDTH = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}  # ASCII -> its full-width form (NFKC inverse)
_EDGE_WORDS = frozenset({"to", "do", "be", "of", "for", "with", "in", "on", "at", "by", "a", "an", "the",
                         "one's", "oneself", "someone", "something", "etc", "etc."})
_PAREN = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|\{[^{}]*\}")
_HIRAGANA = re.compile(r"^[\u3041-\u309f]+$")
_KATAKANA = re.compile(r"^[\u30a1-\u30ffー・]+$")
_KANA_CHAR = re.compile(r"[\u30a1-\u30ffー]")


def clean_gloss(gloss: str, keep_notes: bool = False) -> str | None:
    """A gloss without parenthesised notes (or, ``keep_notes``, without only the brackets)
    and without dangling function words ("to strengthen", "strengthening (something) to do"
    -> "strengthen", "strengthening"); None if it is a definition or a pattern."""
    if "~" in gloss or "..." in gloss or "…" in gloss:
        return None
    g = gloss if keep_notes else _PAREN.sub(" ", gloss)
    words = re.sub(r"[()\[\]{}]", " ", g).split()
    while words and words[0].lower() in _EDGE_WORDS:
        words.pop(0)
    while words and words[-1].lower() in _EDGE_WORDS:
        words.pop()
    if not words or len(words) > MAX_GLOSS_WORDS:
        return None
    return " ".join(words)


def default_db_path() -> Path | None:
    """``jamdict.db`` inside the installed ``jamdict_data`` package, or None."""
    import importlib.util

    spec = importlib.util.find_spec("jamdict_data")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "jamdict.db"


def connect(db_path: Path, corpus_strings: Iterable[str]) -> sqlite3.Connection:
    """A read-only connection with temporary tables the queries join against: the corpus
    strings that may be headwords (those with a non-ASCII character) and wanted ids."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    db.execute("CREATE TEMP TABLE cand(text TEXT PRIMARY KEY)")
    db.execute("CREATE TEMP TABLE want(idseq INTEGER PRIMARY KEY)")
    db.execute("CREATE TEMP TABLE want_kid(kid INTEGER PRIMARY KEY)")
    wanted = {t for t in corpus_strings if not t.isascii()}
    wanted |= {t.translate(_FULL_WIDTH) for t in wanted}  # JMdict writes ３月, ＧＤＰ
    db.executemany("INSERT OR IGNORE INTO cand(text) VALUES (?)", ((t,) for t in wanted))
    return db


def _forms(db, table: str) -> list[tuple[int, int, str]]:
    """(ID, idseq, NFKC text) of the rows of ``table`` whose text occurs in the corpus (pure
    Latin forms such as ＡＩ are left to the document's own Latin words)."""
    rows = db.execute(f"SELECT k.ID, k.idseq, k.text FROM cand c CROSS JOIN {table} k ON k.text = c.text "
                      "ORDER BY k.ID")
    return [(i, s, unicodedata.normalize("NFKC", t)) for i, s, t in rows]


def _fill(db, table: str, column: str, values: Iterable[int]) -> None:
    db.execute(f"DELETE FROM {table}")
    db.executemany(f"INSERT OR IGNORE INTO {table}({column}) VALUES (?)", ((v,) for v in values))


def _senses(db, idseqs: set[int]) -> dict[int, list[dict]]:
    """Per entry, its senses in order: glosses, parts of speech (inherited), misc, and the
    kanji forms (stagk) or readings (stagr) a sense is restricted to."""
    _fill(db, "want", "idseq", idseqs)
    by_sid: dict[int, dict] = {}
    entries: dict[int, list[dict]] = {}
    for sid, idseq in db.execute("SELECT s.ID, s.idseq FROM want w CROSS JOIN Sense s ON s.idseq = w.idseq "
                                 "ORDER BY s.idseq, s.ID"):
        sense = {"glosses": [], "pos": set(), "misc": set(), "stagk": set(), "stagr": set()}
        by_sid[sid] = sense
        entries.setdefault(idseq, []).append(sense)
    joins = "want w CROSS JOIN Sense s ON s.idseq = w.idseq CROSS JOIN"
    for sid, text in db.execute(f"SELECT x.sid, x.text FROM {joins} SenseGloss x ON x.sid = s.ID "
                                "WHERE x.lang = 'eng' ORDER BY x.rowid"):
        by_sid[sid]["glosses"].append(text)
    for table, field in (("pos", "pos"), ("misc", "misc"), ("stagk", "stagk"), ("stagr", "stagr")):
        for sid, text in db.execute(f"SELECT x.sid, x.text FROM {joins} {table} x ON x.sid = s.ID"):
            by_sid[sid][field].add(unicodedata.normalize("NFKC", text) if field.startswith("stag") else text)
    for senses in entries.values():  # JMdict states pos once for a run of senses
        for prev, sense in zip(senses, senses[1:], strict=False):
            if not sense["pos"]:
                sense["pos"] = prev["pos"]
    return entries


def _priorities(db, table: str, kids: Iterable[int]) -> set[int]:
    _fill(db, "want_kid", "kid", kids)
    return {kid for kid, tag in db.execute(f"SELECT p.kid, p.text FROM want_kid w CROSS JOIN {table} p "
                                           "ON p.kid = w.kid") if tag in COMMON_TAGS}


def _grammatical(sense: dict, hiragana: bool) -> bool:
    """Grammar, not content: only grammatical parts of speech; for a headword in hiragana,
    any sense without a noun or adjective reading, or one that is an expression."""
    pos = sense["pos"]
    if hiragana:
        return not pos & HIRAGANA_CONTENT_POS or EXPRESSION_POS in pos or bool(pos & GRAMMAR_POS)
    return bool(pos) and pos <= GRAMMAR_POS


def word_entries(db) -> dict[str, tuple[bool, list[tuple[int, str]]]]:
    """headword -> (common, [(sense rank, raw gloss)]) for the JMdict words in the corpus."""
    kanji = _forms(db, "Kanji")
    kana = _forms(db, "Kana")
    common_k = _priorities(db, "KJP", [i for i, _, _ in kanji])
    common_r = _priorities(db, "KNP", [i for i, _, _ in kana])
    senses = _senses(db, {s for _, s, _ in kanji} | {s for _, s, _ in kana})
    has_kanji = {s for _, s, _ in kanji} | {s for (s,) in db.execute(
        "SELECT DISTINCT k.idseq FROM want w CROSS JOIN Kanji k ON k.idseq = w.idseq")}
    out: dict[str, tuple[bool, list[tuple[int, str]]]] = {}
    for forms, commons, is_kana in ((kanji, common_k, False), (kana, common_r, True)):
        for kid, idseq, text in forms:
            common = kid in commons
            hiragana = bool(_HIRAGANA.match(text))
            if len(text) < 2 and not common:
                continue
            if hiragana and len(text) < 3:
                continue
            glosses = []
            for rank, sense in enumerate(senses.get(idseq, [])[:MAX_SENSES]):
                # a kanji form is bound by stagk only (中国's "China" is restricted to the
                # reading ちゅうごく, which the form 中国 has); a reading by stagr only
                restricted = sense["stagr" if is_kana else "stagk"]
                if restricted and text not in restricted:
                    continue
                if sense["misc"] & SKIPPED_MISC or _grammatical(sense, hiragana):
                    continue
                if is_kana and idseq in has_kanji and not _KANA_CHAR.search(text) \
                        and KANA_ONLY_MISC not in sense["misc"]:
                    continue  # a reading of a word normally written in kanji
                glosses += [(rank * GLOSS_SLOTS + min(p, GLOSS_SLOTS - 1), g)
                            for p, g in enumerate(sense["glosses"]) if clean_gloss(g)]
            if len(text) < 2:  # one kanji: its first two senses only
                glosses = [(r, g) for r, g in glosses if r < 2 * GLOSS_SLOTS]
            if not glosses:
                continue
            old_common, old = out.get(text, (False, []))
            merged = old + glosses if old_common or not common else glosses + old
            out[text] = (common or old_common, merged)
    return out


def name_entries(db, katakana_runs: set[str], words: dict) -> dict[str, list[str]]:
    """headword -> romanised names, for JMnedict names in the corpus that are not JMdict words:
    katakana names filling a whole katakana run; kanji names of places and organisations."""
    cands = [(s, t) for _, s, t in _forms(db, "NEKanji") + _forms(db, "NEKana")
             if t not in words and len(t) >= 2]
    if not cands:
        return {}
    _fill(db, "want", "idseq", {s for s, _ in cands})
    trans: dict[int, list[tuple[set, list[str]]]] = {}
    types: dict[int, set] = {}
    joins = "want w CROSS JOIN NETranslation t ON t.idseq = w.idseq CROSS JOIN"
    for tid, typ in db.execute(f"SELECT y.tid, y.text FROM {joins} NETransType y ON y.tid = t.ID"):
        types.setdefault(tid, set()).add(typ)
    glosses: dict[int, list[str]] = {}
    for tid, gloss in db.execute(f"SELECT g.tid, g.text FROM {joins} NETransGloss g ON g.tid = t.ID "
                                 "ORDER BY t.ID, g.rowid"):
        glosses.setdefault(tid, []).append(gloss)
    for tid, idseq in db.execute("SELECT t.ID, t.idseq FROM want w CROSS JOIN NETranslation t ON "
                                 "t.idseq = w.idseq ORDER BY t.ID"):
        trans.setdefault(idseq, []).append((types.get(tid, set()), glosses.get(tid, [])))
    out: dict[str, list[str]] = {}
    for idseq, t in cands:
        if _HIRAGANA.match(t):
            continue  # から, して: grammar that happens to be a surname somewhere
        katakana = bool(_KATAKANA.match(t))
        if katakana and (t not in katakana_runs or len(t) < 3):
            continue
        for typ, gl in trans.get(idseq, []):
            if not katakana and not typ & NAME_TYPES_KANJI:
                continue
            for g in gl:
                if clean_gloss(g) and g not in out.setdefault(t, []):
                    out[t].append(g)
    return {t: g for t, g in out.items() if g}
