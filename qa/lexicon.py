"""English -> Japanese bridge for BM25: a bilingual lexicon restricted to the corpus.

Built at index time from JMdict/JMnedict (``jamdict-data``; EDRDG licence, CC BY-SA 4.0),
kept as pickle-free JSON, used at query time without the dictionary:

* headwords: every dictionary form (kanji, kana) and name that occurs in the corpus text at
  Sudachi mode-A boundaries (so 半導体, which mode A splits into 半 + 導体, is found, and ライ
  inside サプライ is not), with its own Sudachi terms, its priority ("common") flag, its
  occurrence count and its English glosses (first senses first);
* phrases: lemmatised lowercase English phrases of 1-4 content words -> headwords, plus the
  Latin words and phrases the document itself uses (EU, RCEP, Data Free Flow with Trust),
  which map to themselves.

``Lexicon.translate`` matches an English question longest phrase first and returns, per
phrase, the best few headwords and their Sudachi terms; ``query_terms`` flattens them into a
BM25 query.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qa.country_names import ALIASES, paired_form
from qa.errors import LexiconError

BUILDER_VERSION = 3  # 2: a kanji headword keeps the senses restricted to one of its readings (中国 "China");
# 3: a state's name is also indexed under its country ("Republic of Korea" -> "korea")
FORMAT = "qa-lexicon"
DICTIONARY_PACKAGE = "jamdict-data"
LICENCE = "JMdict/JMnedict, EDRDG, CC BY-SA 4.0 (https://www.edrdg.org/edrdg/licence.html)"

MAX_PHRASE_WORDS = 4  # longest English phrase indexed and matched
MAX_HEADWORD_CHARS = 20  # longer corpus strings are not looked up
# Words that say what a question asks, not what it is about.
QUESTION_WORDS = frozenset({
    "according", "document", "deck", "slide", "say", "mention", "describe", "cite",
    "list", "give", "name", "kind", "type", "much", "many", "also", "whose", "would", "could",
    "might", "may", "must", "shall", "within", "among", "per", "via", "toward", "towards",
    "upon", "one", "two", "three", "something", "someone", "thing", "etc", "e.g", "i.e",
    "whom", "take", "make", "become", "do", "get", "go", "come", "use",
})
_KEEP_FORM = frozenset({"better", "best", "worse", "worst", "data", "goods", "news", "media"})
_EN_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[&'.\-][A-Za-z0-9]+)*")
_INFLECTING = frozenset({"動詞", "形容詞"})
_DIGIT = re.compile(r"[0-9]")
_CJK_BREAK = re.compile(r"(?<=[^\x00-\x7f])[ \t\u3000]*\n[ \t\u3000]*(?=[^\x00-\x7f\s])")


@dataclass(frozen=True)
class Entry:
    """One headword found in the corpus."""

    terms: tuple[str, ...]  # its Sudachi BM25 terms
    common: bool  # JMdict priority-tagged (Latin words: always)
    occurrences: int  # in the corpus, at morpheme boundaries
    glosses: tuple[str, ...]  # English, first senses first (names: their romanised forms)
    kind: str  # "word" (JMdict), "name" (JMnedict) or "latin" (the document's own Latin text)


@dataclass(frozen=True)
class Match:
    """An English phrase of the question and the headwords it translates to."""

    phrase: str  # lemmatised key
    start: int  # character offsets in the question
    end: int
    headwords: tuple[str, ...]
    terms: tuple[str, ...]


@dataclass(frozen=True)
class TranslateParams:
    """Query-time choices. Defaults: the best BM25-only MRR@10 of the English dev questions
    over N in {1, 2, 3, 5} x common_only x plain_latin x four orders
    (``scripts/lexicon_bm25_eval.py``; dev hit@1 0.583, MRR@10 0.709)."""

    max_headwords_per_phrase: int = 1
    common_only: bool = False  # keep only priority-tagged JMdict words (names and Latin stay)
    # headword order: "sense" (the phrase is an early gloss of an early sense), "common"
    # (priority-tagged first), "occurrences" (in the corpus), "length" (shorter first gloss)
    rank_by: tuple[str, ...] = ("sense", "common", "occurrences", "length")
    # keep the document's ordinary Latin words (Measures, Energy: mostly in source captions)
    # as direct matches even when the phrase also has Japanese translations
    plain_latin: bool = False


class Lexicon:
    """The loaded lexicon; no dictionary needed at query time."""

    def __init__(self, entries: dict[str, Entry], phrases: dict[str, list[tuple[str, int]]],
                 meta: dict | None = None):
        self.entries = entries
        self.phrases = phrases  # key -> [(headword, sense rank)], best sense rank per headword
        self.meta = meta or {}
        self._max_words = max((k.count(" ") + 1 for k in phrases), default=1)
        self._max_chars = max((len(h) for h, e in entries.items() if e.kind != "latin"), default=1)

    def translate(self, question: str, max_headwords_per_phrase: int | None = None,
                  params: TranslateParams | None = None) -> list[Match]:
        """Longest-first phrase matches of ``question``'s content words, each word used once."""
        params = params or TranslateParams()
        n = params.max_headwords_per_phrase if max_headwords_per_phrase is None else max_headwords_per_phrase
        words = self.content_words(question)
        out: list[Match] = []
        i = 0
        while i < len(words):
            for size in range(min(self._max_words, len(words) - i), 0, -1):
                key = " ".join(w for w, _, _ in words[i:i + size])
                heads = self._ranked(key, n, params)
                if heads:
                    ts = tuple(dict.fromkeys(t for h in heads for t in self.entries[h].terms))
                    out.append(Match(key, words[i][1], words[i + size - 1][2], tuple(heads), ts))
                    i += size
                    break
            else:
                i += 1
        return out + self._paired_countries(question)

    def _paired_countries(self, question: str) -> list[Match]:
        """Japan-US, US-China, Japan-US-Australia-India as the deck writes them (日米, 米中, 日米豪印):
        one extra match for a hyphenated word made of country names only."""
        from qa.segmenting import terms

        out = []
        for m in re.finditer(r"[A-Za-z]+(?:-[A-Za-z]+)+", question):
            form = paired_form([w for w, _, _ in english_words(m.group().replace("-", " "))])
            if form and (ts := tuple(terms(form))):
                out.append(Match(m.group().lower(), m.start(), m.end(), (form,), ts))
        return out

    def content_words(self, question: str) -> list[tuple[str, int, int]]:
        """The question's content words as the lexicon reads them: a hyphenated word it does not
        know (Japan-UK, CBPR-certified) as its parts, an adverb it lacks as its adjective
        (officially -> official)."""
        out = []
        for w, start, end in english_words(question):
            if "-" in w and w not in self.phrases:
                parts = english_words(question[start:end].replace("-", " "))
                out += [(p, start + s, start + e) for p, s, e in parts]
                continue
            adjective = w[:-3] + "y" if w.endswith("ily") else w[:-2]
            lacks = w.endswith("ly") and w not in self.phrases and adjective in self.phrases
            out.append((adjective if lacks else w, start, end))
        return out

    def query_terms(self, question: str, max_headwords_per_phrase: int | None = None,
                    params: TranslateParams | None = None) -> list[str]:
        """The BM25 terms of the question's translations, each once, in question order."""
        matches = self.translate(question, max_headwords_per_phrase, params)
        return list(dict.fromkeys(t for m in matches for t in m.terms))

    def _ranked(self, key: str, n: int, params: TranslateParams) -> list[str]:
        cands = self.phrases.get(key)
        if not cands:
            return []
        latin = [h for h, _ in cands if self.entries[h].kind == "latin"]
        rest = [(h, s) for h, s in cands if self.entries[h].kind != "latin"
                and (not params.common_only or self.entries[h].common or self.entries[h].kind == "name")]
        if rest and not params.plain_latin:
            latin = [h for h in latin if not _ordinary_word(h)]
        rest.sort(key=lambda hs: self._rank_key(hs[0], hs[1], params.rank_by))
        return latin + [h for h, _ in rest[:max(n, 0)]]

    def _rank_key(self, headword: str, sense: int, rank_by: tuple[str, ...]) -> tuple:
        e = self.entries[headword]
        values = {"common": not e.common, "occurrences": -e.occurrences, "sense": sense,
                  "length": len(e.glosses[0]) if e.glosses else 99, "chars": -len(headword)}
        return tuple(values[r] for r in rank_by) + (headword,)

    def glosses(self, text: str) -> list[tuple[str, str]]:
        """Key headwords of a Japanese text with their first gloss, for a glossary line under an
        English answer: longest matches on Sudachi word boundaries, an inflected last word under
        its dictionary form (通じた: 通じる "lead", not 通じ "bowel movement"). Single characters
        (兆 "sign", 米 "rice"), forms with digits (11日) and light verbs alone (する "carry out")
        are left out: their gloss is a guess."""
        from qa.segmenting import morphemes

        text = _match_text([text])
        words = list(morphemes(text))
        out: dict[str, str] = {}
        k = 0
        while k < len(words):
            start, last = words[k][3], k
            while last < len(words) and words[last][4] - start <= self._max_chars:
                last += 1
            for m in range(last, k, -1):
                surface, norm, pos, begin, end = words[m - 1]
                inflected = pos.split("/")[0] in _INFLECTING and surface != norm
                key = text[start:begin] + norm if inflected else text[start:end]
                e = self.entries.get(key)
                light = m - k == 1 and pos.endswith("非自立可能")  # する, なる, ある: grammar here
                if e and e.kind != "latin" and e.glosses and len(key) > 1 and not _DIGIT.search(key) \
                        and not light:
                    out.setdefault(key, e.glosses[0])
                    k = m
                    break
            else:
                k += 1
        return list(out.items())

    def english_name(self, ja: str) -> str | None:
        """The English name of a place, organisation or person: JMnedict's romanisation
        (コーンウォール -> Cornwall), or a JMdict word whose first gloss is a proper noun
        (ベトナム -> Vietnam, エアバス -> Airbus); else None."""
        e = self.entries.get(unicodedata.normalize("NFKC", ja).strip())
        if e is None or not e.glosses or e.kind == "latin":
            return None
        first = e.glosses[0]
        return first if e.kind == "name" or first[:1].isupper() else None


# ------------------------------------------------------------------ English side

def _ordinary_word(latin: str) -> bool:
    """One word, not an acronym, no digits: Energy, Measures (not EU, G7, J-Bridge)."""
    return " " not in latin and latin[1:].islower() and latin.isalpha()


@lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """Lowercase lemma (simplemma); acronyms and tokens with digits are only lower-cased."""
    low = word.lower()
    if low in ALIASES:
        return ALIASES[low]
    if low in _KEEP_FORM:
        return low
    if (word.isupper() and len(word) > 1) or any(c.isdigit() for c in word) or "&" in word:
        return low
    import simplemma

    return simplemma.lemmatize(low, lang="en").lower()


@lru_cache(maxsize=1)
def english_stopwords() -> frozenset[str]:
    from qa.segmenting import english_stopwords as stopword_list

    return stopword_list() | QUESTION_WORDS


def english_words(text: str) -> list[tuple[str, int, int]]:
    """(lemma, start, end) of the content words of English ``text``: stopwords dropped, except
    all-caps acronyms (US, IT); possessive 's removed; hyphenated words kept whole."""
    stop = english_stopwords()
    out = []
    for m in _EN_TOKEN.finditer(text):
        word, end = m.group(), m.end()
        if word.lower().endswith("'s"):
            word, end = word[:-2], end - 2
        acronym = word.isupper() and len(word) > 1
        if not acronym and (word.lower() in stop or len(word) < 2 and not word.isdigit()):
            continue
        low = lemma(word)
        if not acronym and low in stop:
            continue
        out.append((low, m.start(), end))
    return out


def phrase_key(text: str) -> str | None:
    """The lookup key of an English phrase: its content-word lemmas, 1-4 of them, else None."""
    words = [w for w, _, _ in english_words(text)]
    return " ".join(words) if 0 < len(words) <= MAX_PHRASE_WORDS else None


def _match_text(texts: Iterable[str]) -> str:
    """NFKC text with line breaks inside Japanese removed (the deck breaks lines mid-word)."""
    return "\n".join(_CJK_BREAK.sub("", unicodedata.normalize("NFKC", t)) for t in texts)


# ------------------------------------------------------------------ persistence

_KINDS = {"word": "w", "name": "n", "latin": "l"}


def to_json(lex: Lexicon) -> dict:
    return {"meta": lex.meta,
            "headwords": {h: [list(e.terms), int(e.common), e.occurrences, list(e.glosses), _KINDS[e.kind]]
                          for h, e in sorted(lex.entries.items())},
            "phrases": {k: [[h, r] for h, r in v] for k, v in sorted(lex.phrases.items())}}


def from_json(data: object) -> Lexicon:
    kinds = {v: k for k, v in _KINDS.items()}
    try:
        meta = data["meta"]
        if meta.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} file")
        if meta.get("builder_version") != BUILDER_VERSION:
            raise ValueError(f"built by lexicon version {meta.get('builder_version')}, "
                             f"this is version {BUILDER_VERSION}: rebuild it")
        entries = {h: Entry(tuple(t), bool(c), int(n), tuple(g), kinds[k])
                   for h, (t, c, n, g, k) in data["headwords"].items()}
        phrases = {k: [(str(h), int(r)) for h, r in v] for k, v in data["phrases"].items()}
        missing = {h for v in phrases.values() for h, _ in v} - entries.keys()
        if missing:
            raise ValueError(f"phrases point at {len(missing)} unknown headwords")
    except (TypeError, KeyError, AttributeError, ValueError) as exc:
        raise LexiconError(f"corrupt lexicon: {exc}") from None
    return Lexicon(entries, phrases, meta)


def canonical_json(data: dict) -> bytes:
    """The bytes a lexicon is saved as (sorted keys, no spaces): its hash is the file's."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def save_lexicon(lex: Lexicon, path: str | Path) -> Path:
    """Write compact canonical JSON through a temporary file and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".lexicon-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(canonical_json(to_json(lex)))
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_lexicon(path: str | Path) -> Lexicon:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LexiconError(f"lexicon not found: {path} (build the index again)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LexiconError(f"corrupt lexicon {path}: {exc}") from None
    return from_json(data)


def lexicon_hash(lex_or_path: Lexicon | str | Path) -> str:
    """sha256 of the canonical JSON (the same for a lexicon and the file it was saved to)."""
    if isinstance(lex_or_path, Lexicon):
        data = to_json(lex_or_path)
    else:
        data = to_json(load_lexicon(lex_or_path))
    return hashlib.sha256(canonical_json(data)).hexdigest()
