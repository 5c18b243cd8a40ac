"""Japanese paraphrase met in the deck's own words, through Sudachi's synonym groups.

A question often names a thing in another word than the deck's: ファンド for 基金, 合計 for 総額,
ダンピング for 不当廉売, 日本貿易振興機構 for ジェトロ. SudachiDict (the dictionary the segmenter already
loads) tags each word with its synonym groups, so ``qa index`` records, for every group a word of
the corpus belongs to, the corpus's words in it and their BM25 terms (``synonyms.json``). A
question's word the corpus never writes then also searches for the deck's words of its groups,
and counts as found where they are (``qa.confidence.term_groups``). Words the corpus does write
are left alone: the deck's own word is what the question means.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from qa.errors import IndexLoadError
from qa.questions import QUESTION_TERMS
from qa.segmenting import synonym_units, terms

SYNONYMS = "synonyms.json"


@dataclass(frozen=True)
class Synonyms:
    """Sudachi synonym group -> the corpus's words in it (normalised form) -> their BM25 terms."""

    groups: dict[int, dict[str, tuple[str, ...]]]

    def of(self, question: str) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
        """(a word's own terms, the deck's terms for it) for each word of ``question`` that the
        corpus never writes but whose synonym groups it does; a question word (何, 教える) and
        a katakana word inside a longer one (the アメリカ of ラテンアメリカ) are left out."""
        out = []
        for surface, form, ids, inside_word in synonym_units(question):
            if form in QUESTION_TERMS or inside_word:
                continue
            members: dict[str, tuple[str, ...]] = {}
            for g in ids:
                members.update(self.groups.get(g, {}))
            if not members or form in members:
                continue
            own = tuple(terms(surface))
            deck = tuple(dict.fromkeys(t for found in members.values() for t in found if t not in own))
            if own and deck:
                out.append((own, deck))
        return tuple(out)


def deck_terms(pairs) -> list[str]:
    """The deck's terms of ``Synonyms.of``'s pairs, each once."""
    return list(dict.fromkeys(t for _, deck in pairs for t in deck))


def build_synonyms(texts: list[str]) -> Synonyms:
    """The synonym groups of the corpus's words (Sudachi's longest units) with their terms."""
    groups: dict[int, dict[str, tuple[str, ...]]] = {}
    for text in texts:
        for surface, form, ids, _ in synonym_units(text):
            found = tuple(terms(surface)) if ids else ()  # most words belong to no group
            for g in ids if found else ():
                groups.setdefault(g, {}).setdefault(form, found)
    return Synonyms(groups)


def save_synonyms(synonyms: Synonyms, path: Path) -> None:
    data = {str(g): {form: list(found) for form, found in sorted(words.items())}
            for g, words in sorted(synonyms.groups.items())}
    Path(path).write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n",
                          encoding="utf-8")


def read_synonyms(path: Path) -> Synonyms:
    """The index's synonym table; a missing or malformed file is refused like any index file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        groups = {int(g): {str(form): tuple(map(str, found)) for form, found in words.items()}
                  for g, words in data.items()}
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        raise IndexLoadError(f"{path} is missing or corrupt: rebuild with `qa index`") from exc
    return Synonyms(groups)
