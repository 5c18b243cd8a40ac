"""English names of countries as the lexicon reads them: demonyms and aliases to the names
JMdict glosses use, and the one-character forms Japanese writes a pair or group of countries
with (日米 for Japan-US, 米中 for US-China, 日米豪印 for Japan-US-Australia-India; the forms
themselves, alone in a line, are ``qa.country_forms``)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Lemma rewrites: the US (not "us"), and demonyms to the country names JMdict glosses use
# (a question's "Chinese central bank" is about 中国, not 中国語).
ALIASES = {"us": "usa", "u.s.": "usa", "u.s": "usa", "uk": "unite kingdom", "britain": "unite kingdom",
           "british": "unite kingdom", "japanese": "japan", "chinese": "china", "american": "america",
           "european": "europe", "korean": "korea", "indian": "india", "australian": "australia",
           "asian": "asia", "african": "africa", "russian": "russia", "german": "germany",
           "french": "france", "taiwanese": "taiwan", "vietnamese": "vietnam", "thai": "thailand",
           "indonesian": "indonesia", "malaysian": "malaysia", "singaporean": "singapore",
           "philippine": "philippines", "canadian": "canada", "mexican": "mexico"}
# A country's one-character form in a pair or group (the EU and ASEAN keep their Latin names).
SHORT_FORMS = {"japan": "日", "usa": "米", "america": "米", "unite kingdom": "英", "china": "中",
               "korea": "韓", "australia": "豪", "india": "印", "europe": "欧", "eu": "EU",
               "france": "仏", "germany": "独", "canada": "加", "russia": "露", "italy": "伊",
               "asean": "ASEAN", "taiwan": "台"}


def paired_form(countries: list[str]) -> str | None:
    """How Japanese writes these (lemmatised) countries together, or None unless there are at
    least two and every one has a short form."""
    shorts = [SHORT_FORMS.get(c) for c in countries]
    return "".join(shorts) if len(shorts) > 1 and all(shorts) else None


# Acronyms that name places (a country, a union or group of countries): a place question is not
# answered by GDP or WTO, the acronyms a line about a place also holds.
PLACE_ACRONYMS = frozenset({"EU", "US", "USA", "UK", "ASEAN", "NZ", "UAE", "APEC", "CLM", "CLMV", "G7",
                            "G20", "OECD", "BRICS"})


# One name per country for comparing a question with a document (Sudachi keeps both spellings).
_SAME_COUNTRY = {"アメリカ": "米国", "合衆国": "米国", "イギリス": "英国", "オーストラリア": "豪州",
                 "大韓民国": "韓国", "中華人民共和国": "中国"}


def same_country(name: str) -> str:
    return _SAME_COUNTRY.get(name, name)


def deck_spelling(term: str, text: str) -> str | None:
    """The deck's name for a country ``text`` writes another way (イギリス -> 英国, オーストラリア -> 豪州),
    or None; not for a part of a longer word (the アメリカ of ラテンアメリカ)."""
    name = same_country(term)
    alone = re.search(rf"(?<![ァ-ヺー]){re.escape(term)}(?![ァ-ヺー])", unicodedata.normalize("NFKC", text))
    return name if name != term and alone else None


def with_deck_spellings(text: str, terms: list[str]) -> list[str]:
    """A question's terms and the deck's names for the countries it writes another way."""
    return terms + [name for t in terms if (name := deck_spelling(t, text))]


@lru_cache(maxsize=64)  # read only when a table row is, once per question
def countries_asked(terms: tuple[str, ...]) -> frozenset[str]:
    """The countries (canonical, ``same_country``) among a question's Sudachi terms (for an
    English question, its translations)."""
    from qa.segmenting import countries  # Sudachi loads only when a question is read

    return frozenset(same_country(c) for t in terms for c in countries(t))


def row_names_country(label: str, question_terms: tuple[str, ...]) -> bool:
    """Whether a table row with this label can answer a question with these terms: always when
    the question names no country or the row has no label, else only when the label names one
    of its countries. The IMF row 「先進国 -4.7 5.1」 is no forecast for India, which the table lacks."""
    from qa.segmenting import countries

    asked = countries_asked(question_terms)
    return not asked or not label.strip() or any(same_country(c) in asked for c in countries(label))
