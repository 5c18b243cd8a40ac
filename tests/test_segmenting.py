"""Sudachi segmentation: normalised content terms and pieces short enough for Sudachi."""

from __future__ import annotations

import sys

import pytest

from qa.segmenting import countries, pieces, terms


def test_terms_are_normalised_content_words():
    out = terms("サプライチェーンの強靱化と6.0%の成長、the EU growth")
    assert "強靭" in out  # 強靱 folded by Sudachi's normalised form
    assert "6.0" in out and "eu" in out and "growth" in out
    assert "の" not in out and "the" not in out


def test_long_text_is_cut_into_pieces_sudachi_accepts():
    text = "あ" * 10_000 + "。" + "い" * 10
    cut = list(pieces(text, limit=4000))
    assert "".join(p for _, p in cut) == text
    assert max(len(p) for _, p in cut) <= 4000
    assert terms("経済" * 30_000)  # no Sudachi input-size error


def _resident_kb(span: tuple[int, int]) -> int:
    """Resident kB of the mapping that starts at ``span``'s start (from /proc/self/smaps)."""
    inside = False
    for line in open("/proc/self/smaps", encoding="utf-8", errors="replace"):
        if "-" in line.split(" ", 1)[0] and not line.startswith(("Rss", "Pss")):
            inside = int(line.split("-", 1)[0], 16) == span[0]
        elif inside and line.startswith("Rss:"):
            return int(line.split()[1])
    return 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/smaps")
def test_dictionary_pages_read_at_load_are_given_back_and_terms_stay_the_same():
    from qa.mapped_files import drop_resident_pages, read_only_shared_mappings
    from qa.segmenting import DICTIONARY_FILE

    question = "経済安全保障推進法に基づく特定重要物資の安定供給確保"
    before = terms(question)
    spans = read_only_shared_mappings(DICTIONARY_FILE)
    assert spans, "Sudachi's dictionary is not memory-mapped"
    list(terms("半導体のサプライチェーン強靱化"))  # touch some pages again
    assert drop_resident_pages(DICTIONARY_FILE) >= 100_000_000  # the whole 202 MB mapping
    assert sum(_resident_kb(s) for s in spans) < 1024
    assert terms(question) == before
    assert drop_resident_pages("no-such-file.dic") == 0


def test_a_full_stop_inside_a_date_or_number_ends_no_sentence():
    from qa.segmenting import sentence_ends

    text = "（2021.4.16日米首脳会談で打ち出し済）。成長率は2.5%。終わり."
    assert sentence_ends(text) == [text.index("。") + 1, text.index("。", 25) + 1, len(text)]


def test_a_word_the_slide_broke_across_lines_is_found():
    from qa.segmenting import wraps_mid_word

    assert wraps_mid_word("• 米国では2017年に米国内の産業・雇", "用を守る観点から類似制度を導入済。")  # 雇用
    assert wraps_mid_word("海外における実証事業を通じて、日本の先進的なエネル", "ギー技術・システムの当該国")
    # a break between words, an unknown run (グラスゴーインド), a short label, a Latin break
    assert not wraps_mid_word("多国籍企業にとっての競争の時代における", "グローバル化と")
    assert not wraps_mid_word("COP26：11月1日～12日＠グラスゴー", "インド太平洋地域への関与強化")
    assert not wraps_mid_word("対象地域・国", "東南アジア（※1）")  # 国東 is a place, but not here
    assert not wraps_mid_word("Japan Innovation Bridge and Business", "Environment")


def test_a_name_of_letters_and_digits_is_one_term_wherever_it_stands():
    # Sudachi cuts 「RE100に」 into RE|100 inside Japanese ("re" is a stop word), not 「＜RE100＞」
    assert terms("RE100に参加している日本企業")[:1] == ["re100"]
    assert terms("＜RE100＞") == ["re100"]
    assert terms("COP26の開催地")[0] == "cop26" and terms("5G等")[0] == "5g"
    assert terms("7,717億円")[-1] == "円" and "6.0" in terms("6.0%の成長")  # numbers as before
    assert terms("Data Free Flow with Trust") == ["data", "free", "flow", "trust"]  # words stay apart


def test_countries_are_the_names_sudachi_tags_as_countries() -> None:
    assert countries("米国 -3.5 6.4 中国 2.3 8.4") == ["米国", "中国"]
    assert countries("先進国 -4.7 5.1 新興国・発展途上国 -2.2 6.7") == []  # groups, not countries
    assert countries("世界") == [] and countries("インド") == ["インド"]
    assert countries("ラテンアメリカ・カリブ諸国") == ["アメリカ"]  # a compound's country counts


def test_a_full_stop_or_question_mark_inside_a_link_ends_no_sentence():
    from qa.segmenting import sentence_ends

    link = "https://climateaction.unfccc.int/views/details.html?id=94"
    text = f"出典は{link}\n次の文。"
    assert sentence_ends(text) == [len(text)]


def test_a_country_tagged_by_its_one_character_form_is_found_by_its_name():
    # 「（日）」 tags a measure as Japan's: a question asks about 日本
    assert terms("■雇用調整助成金の給付拡大、再就職支援（日）")[-1] == "日本"
    assert terms("非ASEAN署名国（日、中、韓、豪、NZ）")[-4:] == ["日本", "中国", "韓国", "豪州"]
    assert "日本" not in terms("日米豪印首脳会談") and "中国" not in terms("中・長期的に")  # inside words
