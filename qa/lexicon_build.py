"""Building the bilingual lexicon from JMdict/JMnedict and the corpus text (index time only)."""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from qa.errors import LexiconError
from qa.jmdict import GLOSS_SLOTS, clean_gloss
from qa.lexicon import (
    BUILDER_VERSION,
    DICTIONARY_PACKAGE,
    FORMAT,
    LICENCE,
    MAX_HEADWORD_CHARS,
    Entry,
    Lexicon,
    _match_text,
    phrase_key,
)
from qa.segmenting import morphemes, terms

SPLIT_PENALTY = GLOSS_SLOTS // 2  # "steel" from "iron and steel" ranks half a sense lower
_COORDINATION = re.compile(r"\s+(?:and|or)\s+|\s*[/,;]\s*")
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9&\-]*(?: [A-Za-z0-9][A-Za-z0-9&\-]*)*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_ROMAN = re.compile(r"^[IVX]+$")
_HIRAGANA = re.compile(r"^[\u3041-\u309f]+$")
_STATE_WORDS = frozenset({"republic", "kingdom", "state", "states", "commonwealth", "federation",
                          "principality", "emirate", "sultanate"})


def gloss_keys(gloss: str) -> list[tuple[str, int]]:
    """The phrase keys a raw gloss is indexed under, with a rank penalty: without its notes,
    with them ("(United States of) America"), the part before "of" when it has two words or
    more ("United States of America" -> "united states"), the country after a state's "of"
    ("Republic of Korea" -> "korea"); and, ``SPLIT_PENALTY`` lower, each
    side of "and"/"or" ("iron and steel" -> "iron", "steel")."""
    keys: dict[str, int] = {}
    for g in (clean_gloss(gloss), clean_gloss(gloss, keep_notes=True)):
        if not g:
            continue
        head, _, tail = g.partition(" of ")
        variants = [(g, 0)] + ([(head, 0)] if tail and len(head.split()) >= 2 else [])
        if tail and head.split()[-1].lower() in _STATE_WORDS:
            variants.append((tail, 0))  # "Republic of Korea" is Korea (韓国 has no bare "Korea")
        variants += [(part, SPLIT_PENALTY) for part in _COORDINATION.split(g) if part != g]
        for text, penalty in variants:
            key = phrase_key(text)
            if key and penalty < keys.get(key, penalty + 1):
                keys[key] = penalty
    return list(keys.items())


@dataclass(frozen=True)
class CorpusForms:
    """What of the corpus a headword may match."""

    counts: Counter  # substrings from a Sudachi mode-A boundary to another (and lemmas) -> count
    katakana_runs: set[str]  # maximal katakana runs (a katakana name must fill one)
    morphemes: set[str]  # single morphemes' surfaces and normalised forms (a hiragana word must be one)


def corpus_forms(text: str) -> CorpusForms:
    """Counts of every substring (up to MAX_HEADWORD_CHARS) that starts and ends at a Sudachi
    mode-A boundary, plus the normalised forms of inflected morphemes (進め -> 進める)."""
    counts: Counter = Counter()
    bounds: list[int] = []
    singles: set[str] = set()
    for surface, normalized, _, begin, end in morphemes(text):
        if not bounds or bounds[-1] != begin:
            bounds.append(begin)
        bounds.append(end)
        singles |= {surface, normalized}
        if normalized != surface:
            counts[normalized] += 1
    for a, start in enumerate(bounds):
        for stop in bounds[a + 1:]:
            if stop - start > MAX_HEADWORD_CHARS:
                break
            piece = text[start:stop]
            if piece.strip() == piece:
                counts[piece] += 1
    runs = set(re.findall(r"[\u30a1-\u30ffー]+", text))
    return CorpusForms(counts, runs, singles)


def latin_entries(text: str) -> dict[str, Entry]:
    """The document's own Latin words and short Latin phrases (EU, RCEP, Data Free Flow with
    Trust) and numbers: each is its own translation, its BM25 terms are what terms() makes."""
    found: Counter = Counter()
    for m in _LATIN_RUN.finditer(text):
        words = m.group().split()
        for w in words:
            w = w.strip("-&")
            if len(w) > 1 and not _ROMAN.match(w):
                found[w] += 1
        if 1 < len(words) and phrase_key(m.group()):
            found[m.group()] += 1
    for m in _NUMBER.finditer(text):
        found[m.group()] += 1
    out = {}
    for w, n in found.items():
        ts = tuple(terms(w))
        if ts:
            out[w] = Entry(ts, True, n, (w,), "latin")
    return out


def build_lexicon(corpus_texts: list[str], db_path: Path | None = None) -> Lexicon:
    """The lexicon of the headwords and names of ``corpus_texts`` (one pass over the dictionary)."""
    from importlib.metadata import PackageNotFoundError, version

    from qa import jmdict

    text = _match_text(corpus_texts)
    forms = corpus_forms(text)
    counts = forms.counts
    path = Path(db_path) if db_path else jmdict.default_db_path()
    if path is None:
        raise LexiconError("the JMdict database is not installed: pip install jamdict-data==1.5")
    if not path.is_file():
        raise LexiconError(f"JMdict database not found: {path}")
    try:
        db = jmdict.connect(path, counts)
    except sqlite3.DatabaseError as exc:
        raise LexiconError(f"cannot read the JMdict database {path}: {exc}") from None
    try:
        words = jmdict.word_entries(db)
        names = jmdict.name_entries(db, forms.katakana_runs, words)
    except sqlite3.DatabaseError as exc:
        raise LexiconError(f"cannot read the JMdict database: {exc}") from None
    finally:
        db.close()
    entries: dict[str, Entry] = {}
    phrases: dict[str, dict[str, int]] = {}

    def index(key: str | None, headword: str, rank: int) -> None:
        if key:
            best = phrases.setdefault(key, {})
            best[headword] = min(rank, best.get(headword, rank))

    for hw, (common, glosses) in words.items():
        ts = tuple(terms(hw))
        if not ts or _HIRAGANA.match(hw) and hw not in forms.morphemes:
            continue  # いるか (dolphin) in していたかどうか
        shown = tuple(dict.fromkeys(clean_gloss(g) for _, g in glosses))
        entries[hw] = Entry(ts, common, counts[hw], shown, "word")
        for rank, g in glosses:
            for key, penalty in gloss_keys(g):
                index(key, hw, rank + penalty)
    for hw, gl in names.items():
        ts = tuple(terms(hw))
        if ts:
            entries[hw] = Entry(ts, False, counts[hw], tuple(dict.fromkeys(map(clean_gloss, gl))), "name")
            for rank, g in enumerate(gl[:2]):
                for key, penalty in gloss_keys(g):
                    index(key, hw, rank + penalty)
    for hw, e in latin_entries(text).items():
        if hw not in entries:
            entries[hw] = e
            index(phrase_key(hw) if not hw[0].isdigit() else hw.lower(), hw, 0)
    try:
        dict_version = version(DICTIONARY_PACKAGE)
    except PackageNotFoundError:
        dict_version = None
    meta = {"format": FORMAT, "builder_version": BUILDER_VERSION, "dictionary": DICTIONARY_PACKAGE,
            "dictionary_version": dict_version, "licence": LICENCE,
            "counts": {"headwords": sum(e.kind == "word" for e in entries.values()),
                       "names": sum(e.kind == "name" for e in entries.values()),
                       "latin": sum(e.kind == "latin" for e in entries.values()),
                       "phrases": len(phrases)}}
    ranked = {k: sorted(v.items(), key=lambda hv: (hv[1], hv[0])) for k, v in sorted(phrases.items())}
    return Lexicon(entries, ranked, meta)


