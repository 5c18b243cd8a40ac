"""Sudachi segmentation: sentence boundaries and normalised content terms.

A Sudachi tokenizer is not thread-safe (``RuntimeError: Already borrowed``), so each
thread gets its own. Sudachi also rejects very long inputs, so text is cut into
pieces of at most ``MAX_PIECE_CHARS`` at natural breaks before it sees them.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import threading
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from qa.country_forms import COUNTRY_NAME_OF_SHORT_FORM, countries_alone
from qa.mapped_files import drop_resident_pages

MAX_PIECE_CHARS = 4000  # well under Sudachi's byte limit (~49 KB) even at 4 bytes a char
SPLIT_MODE = "A"  # short units: 経済安全保障 -> 経済/安全/保障, so partial compounds match
DICTIONARY_FILE = "sudachidict_core/resources/system.dic"
TERMS_VERSION = 4  # bump when terms() changes: indexed terms must match query terms
SENTENCES_VERSION = 2  # bump when sentence_ends() changes: indexed sentence spans follow it


def segmenter_info() -> dict:
    """What the index manifest records about the segmenter (checked at load)."""
    return {"library": "sudachipy", "dict": "core", "mode": SPLIT_MODE, "terms_version": TERMS_VERSION,
            "sentences_version": SENTENCES_VERSION}

# Parts of speech that carry no content for BM25 (pronouns and adnominals such as
# それ/この only point at content elsewhere).
_DROPPED_POS = {"助詞", "助動詞", "補助記号", "空白", "記号", "代名詞", "連体詞"}
_ASCII_WORD = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-']*$")
_SENTENCE_END = {"。", "！", "？", "!", "?"}

_local = threading.local()


def _tokenizer():
    """The calling thread's Sudachi tokenizer (created on first use)."""
    tok = getattr(_local, "tokenizer", None)
    if tok is None:
        from sudachipy import Dictionary

        tok = Dictionary(dict="core").tokenizer(mode=SPLIT_MODE)
        release_dictionary_pages()  # loading read through ~72 MB of it once
        _local.tokenizer = tok
    return tok


def release_dictionary_pages() -> int:
    """Unmap the pages of Sudachi's memory-mapped dictionary that this process has read
    (``qa.mapped_files``): after its loader or a warm-up read many once, a question maps again
    only the few it needs. Returns the bytes of mapping advised."""
    return drop_resident_pages(DICTIONARY_FILE)


@lru_cache(maxsize=1)
def english_stopwords() -> frozenset[str]:
    """bm25s's English stopword list (STOPWORDS_EN_PLUS). Its module is plain data, read from the
    installed file: ``import bm25s.stopwords`` would run bm25s's package import, which brings
    scipy (about 0.3 s of a cold start) to a query that never ranks with bm25s."""
    spec = importlib.util.find_spec("bm25s")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("bm25s is not installed (pip install -e .)")
    path = Path(spec.submodule_search_locations[0]) / "stopwords.py"
    data = importlib.util.spec_from_file_location("_bm25s_stopwords", path)
    module = importlib.util.module_from_spec(data)
    data.loader.exec_module(module)
    return frozenset(module.STOPWORDS_EN_PLUS)


def pieces(text: str, limit: int = MAX_PIECE_CHARS) -> Iterator[tuple[int, str]]:
    """Cut ``text`` into (offset, piece) of at most ``limit`` chars, preferring line or
    sentence breaks, so Sudachi never sees an over-long input."""
    pos = 0
    n = len(text)
    while pos < n:
        end = min(pos + limit, n)
        if end < n:
            window = text[pos:end]
            cut = max(window.rfind("\n"), window.rfind("。"))
            if cut > limit // 4:
                end = pos + cut + 1
        yield pos, text[pos:end]
        pos = end


def morphemes(text: str) -> Iterator[tuple[str, str, str, int, int]]:
    """Yield (surface, normalized_form, pos0/pos1, begin, end) over ``text`` of any length."""
    tok = _tokenizer()
    for offset, piece in pieces(text):
        for m in tok.tokenize(piece):
            pos = m.part_of_speech()
            yield (m.surface(), m.normalized_form(), f"{pos[0]}/{pos[1]}",
                   offset + m.begin(), offset + m.end())


def synonym_units(text: str) -> Iterator[tuple[str, str, tuple[int, ...], bool]]:
    """(surface, normalised form, Sudachi synonym group ids, whether it is katakana inside a longer
    katakana word: the アメリカ of ラテンアメリカ) of each content word of ``text`` read as Sudachi's
    longest units (日本貿易振興機構 whole, not 日本|貿易|振興|機構), for ``qa.synonyms``."""
    from sudachipy import SplitMode

    tok = _tokenizer()
    text = unicodedata.normalize("NFKC", text)
    for offset, piece in pieces(text):
        for m in tok.tokenize(piece, SplitMode.C):
            if m.part_of_speech()[0] in _DROPPED_POS:
                continue
            a, b = offset + m.begin(), offset + m.end()
            inside = _katakana_at(text, a) and (_katakana_at(text, a - 1) or _katakana_at(text, b))
            yield m.surface(), m.normalized_form(), tuple(m.synonym_group_ids()), inside


def _katakana_at(text: str, i: int) -> bool:
    return 0 <= i < len(text) and ("ァ" <= text[i] <= "ヺ" or text[i] == "ー")


def countries(text: str) -> list[str]:
    """The normalised forms of the country names Sudachi finds in ``text`` (固有名詞/地名/国:
    米国, インド; not 先進国 or 世界), a compound's too (the アメリカ of ラテンアメリカ)."""
    tok = _tokenizer()
    return [m.normalized_form() for _, piece in pieces(unicodedata.normalize("NFKC", text))
            for m in tok.tokenize(piece) if m.part_of_speech()[2:4] == ("地名", "国")]


def terms(text: str) -> list[str]:
    """Normalised content terms for BM25: particles, auxiliaries and punctuation dropped.

    Sudachi's normalised form folds variants (強靱 -> 強靭); ASCII words and numbers keep
    their own (NFKC, lower-cased) surface, because Sudachi would map ``6.0`` to ``6`` and
    ``growth`` to ``グロース``. English stop words are dropped. A name of letters and digits
    is one term however Sudachi splits it: inside Japanese text it cuts 「RE100に」 into RE|100
    (and "re" is a stop word) and 「COP26の」 into COP|26, while a bare 「＜RE100＞」 stays whole.
    A country written in its one-character form alone (「…再就職支援（日）」, 「（日、中、韓、豪）」) also
    gives its name (日本), as a question writes it.
    """
    out: list[str] = []
    stop = english_stopwords()
    text = unicodedata.normalize("NFKC", text)
    for term, is_ascii in _words(text):
        if not (is_ascii and term in stop):
            out.append(term)
    return out + [COUNTRY_NAME_OF_SHORT_FORM[ch] for _, ch in countries_alone(text)]


def _words(text: str) -> Iterator[tuple[str, bool]]:
    """(term, whether it is an ASCII word) of each content morpheme: Sudachi's normalised form, or
    an ASCII word lower-cased, adjacent ASCII morphemes (COP|26, 5|G) joined into one."""
    pending, pending_end = "", -1
    for surface, normalized, pos, begin, end in morphemes(text):
        if pos.split("/")[0] in _DROPPED_POS:
            continue  # its characters keep the ASCII morphemes around it apart (COVID|-|19)
        ascii_word = _ASCII_WORD.match(surface)
        if ascii_word and pending and begin == pending_end:
            pending, pending_end = pending + surface.lower(), end
            continue
        if pending:
            yield pending, True
            pending = ""
        if ascii_word:
            pending, pending_end = surface.lower(), end
        else:
            yield normalized, False
    if pending:
        yield pending, True


LINK_START = r"(?:https?://|www\.)"  # how a link begins (qa.line_layout reads a line that is one)
_LINK = re.compile(rf"{LINK_START}[!-~]+")


def sentence_ends(text: str) -> list[int]:
    """Offsets just after each sentence-final punctuation mark (Sudachi 句点 and ！？); a full
    stop between digits is part of a date or number (2021.4.16), and one inside a link
    (https://climateaction.unfccc.int/…html?id=94) part of the link, not an end."""
    links = [(m.start(), m.end()) for m in _LINK.finditer(text)]
    ends = []
    for surface, _, pos, _, end in morphemes(text):
        in_number = (surface in ".．" and 2 <= end < len(text)
                     and text[end - 2].isdigit() and text[end].isdigit())
        in_link = any(a < end < b for a, b in links)
        if (pos == "補助記号/句点" or surface in _SENTENCE_END) and not in_number and not in_link:
            ends.append(end)
    return ends


JAPANESE_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_WRAP_CONTEXT = 6  # characters read each side of a line break
MIN_WRAPPED_CHARS = 10  # a line the slide wrapped filled its text box


@functools.lru_cache(maxsize=8192)
def wraps_mid_word(line: str, next_line: str) -> bool:
    """Whether the slide broke a Japanese word between ``line`` and ``next_line`` (「…産業・雇」 /
    「用を守る…」: 雇用; 「…エネル」 / 「ギー技術…」): joined, Sudachi reads one dictionary word across
    the break (not an unknown run: 「グラスゴー」 / 「インド」)."""
    if len(line.strip()) < MIN_WRAPPED_CHARS:
        return False  # a short label (「対象地域・国」 over 「東南アジア」, read as 国東) was not wrapped
    left, right = line.rstrip()[-_WRAP_CONTEXT:], next_line.lstrip()[:_WRAP_CONTEXT]
    if not left or not right or not JAPANESE_CHAR.match(left[-1]) or not JAPANESE_CHAR.match(right[0]):
        return False
    cut = len(left)
    return any(m.begin() < cut < m.end() and not m.is_oov() for m in _tokenizer().tokenize(left + right))
