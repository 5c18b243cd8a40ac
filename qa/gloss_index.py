"""The English side of the bridge read the other way: each passage as the dictionary glosses of
the headwords it holds (document translation), ranked by BM25 against an English question's
own content words. Query translation (``Lexicon.translate``) keeps a few headwords per English
phrase and misses a passage whose word the question paraphrases; the glosses of every headword
a passage holds catch some of those. Retrieval fuses both (``qa.fusion``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.lexical import LocalBm25
from qa.lexicon import Lexicon, english_words
from qa.records import Passage

GLOSSES = 2  # first glosses of a headword read as its English (later ones drift: 為る "carry out")


@dataclass(frozen=True)
class TermGlosses:
    """What a Sudachi term brings to a passage's English bag: the gloss lemmas of the headwords
    that are this term alone, and the headwords that start with it and need more terms."""

    alone: tuple[str, ...]
    compounds: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]  # (the other terms, lemmas)


def headword_lemmas(lexicon: Lexicon, glosses: int = GLOSSES) -> dict[str, TermGlosses]:
    """First Sudachi term of a headword -> what its headwords' first glosses say (content lemmas).
    One-character Japanese headwords (米 "rice", 兆 "sign") are left out: their gloss is a guess."""
    alone: dict[str, list[str]] = {}
    compounds: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
    for headword, entry in lexicon.entries.items():
        if not entry.terms or (entry.kind != "latin" and len(headword) < 2):
            continue
        lemmas = tuple(dict.fromkeys(w for g in entry.glosses[:glosses] for w, _, _ in english_words(g)))
        if not lemmas:
            continue
        first, rest = entry.terms[0], entry.terms[1:]
        if rest:
            compounds.setdefault(first, []).append((rest, lemmas))
        else:
            alone.setdefault(first, []).extend(lemmas)
    return {t: TermGlosses(tuple(alone.get(t, ())), tuple(compounds.get(t, ())))
            for t in alone.keys() | compounds.keys()}


def gloss_bags(doc_terms: list[list[str]], lexicon: Lexicon, glosses: int = GLOSSES) -> list[list[str]]:
    """Each passage's English bag: the gloss lemmas of every headword whose Sudachi terms it
    holds (once per headword; the document's Latin words are headwords of their own)."""
    index = headword_lemmas(lexicon, glosses)
    bags = []
    for terms in doc_terms:
        present = set(terms)
        bag: list[str] = []
        for t in sorted(present & index.keys()):  # set operations keep a large corpus fast
            found = index[t]
            bag.extend(found.alone)
            for rest, lemmas in found.compounds:
                if present.issuperset(rest):
                    bag.extend(lemmas)
        bags.append(bag)
    return bags


class GlossBm25:
    """BM25 over the passages' gloss bags, for English questions."""

    def __init__(self, doc_terms: list[list[str]], lexicon: Lexicon, glosses: int = GLOSSES):
        self._bm25 = LocalBm25(gloss_bags(doc_terms, lexicon, glosses))

    def top(self, question: str, n: int) -> list[tuple[int, float]]:
        """The ``n`` best passages for an English question's content words (passage idx, score)."""
        words = [w for w, _, _ in english_words(question) if w in self._bm25.vocab]
        return self._bm25.top(words, n) if words else []


def gloss_texts(passages: list[Passage], lexicon: Lexicon) -> list[str]:
    """Each passage, title first, as the first glosses of its key headwords in reading order
    ("corona; crisis; employment adjustment subsidy; …"): embedded at index time, they let an
    English question's vector meet a passage in English too (``Retriever.rank``)."""
    return [_gloss_text(_glossed(p), lexicon) for p in passages]


def _gloss_text(text: str, lexicon: Lexicon) -> str:
    return "; ".join(dict.fromkeys(g for _, g in lexicon.glosses(text)))


def _glossed(p: Passage) -> str:
    return f"{p.title}\n{p.text}"


def known_glosses(index) -> dict[str, np.ndarray]:
    """An index's embedded glosses by the passage text they gloss (none without a lexicon)."""
    if index.lexicon is None or index.gloss_vectors is None:
        return {}
    return dict(zip(map(_glossed, index.passages), index.gloss_vectors))


def embed_glosses(passages: list[Passage], lexicon: Lexicon, embedder, known: dict[str, np.ndarray]
                  ) -> np.ndarray:
    """The vectors of the passages' embedded glosses, glossing and embedding only the passages whose
    text ``known`` lacks: a passage's glosses change only with its own text (a headword it holds is
    in any corpus that holds it), so adding a document embeds only the new passages' glosses."""
    todo = list(dict.fromkeys(t for t in map(_glossed, passages) if t not in known))
    texts = [_gloss_text(t, lexicon) for t in todo]
    fresh = dict(zip(todo, embedder.encode_passages(texts))) if todo else {}
    rows = [known[t] if t in known else fresh[t] for t in map(_glossed, passages)]
    return np.asarray(rows, dtype=np.float32).reshape(len(passages), int(embedder.dim))
