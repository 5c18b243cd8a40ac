"""to_english: rule-based English for typed spans of the deck; None where no rule is sure."""

from __future__ import annotations

import pytest

from qa.english import to_english
from qa.span_names import typed_spans
from qa.spans import Span, table_cells


def span_of(line: str, text: str) -> Span:
    return next(s for s in typed_spans(line) if s.text == text)


@pytest.mark.parametrize(("line", "text", "english"), [
    # amounts
    ("①大規模な経済対策（総計６兆ドル規模）", "総計６兆ドル規模", "a total of around USD 6 trillion"),
    ("米国「家族」計画※ （1.8兆ドル。", "1.8兆ドル", "USD 1.8 trillion"),
    ("米国「救済」計画（1.9兆ドル。", "1.9兆ドル", "USD 1.9 trillion"),
    ("米国「雇用」計画※（2.25兆ドル。", "2.25兆ドル", "USD 2.25 trillion"),
    ("準備のための7,500億\nユーロの中長期的対策", "7,500億\nユーロ", "EUR 750 billion"),
    ("最大の「復興強靱ファシリティ」（6,725億ユーロ）の", "6,725億ユーロ", "EUR 672.5 billion"),
    ("復興基金から40億ユーロを保健衛生プログラム", "40億ユーロ", "EUR 4 billion"),
    ("インフラ部門に2022年に1000億ポンド", "1000億ポンド", "GBP 100 billion"),
    ("スタートアップ支援に37.5億ポンドを支援。", "37.5億ポンド", "GBP 3.75 billion"),
    ("（約15兆円）規模の政府支出を計画。", "約15兆円", "about JPY 15 trillion"),
    ("経済損失額を100兆ルピア（約", "100兆ルピア", "IDR 100 trillion"),
    ("（約\n7,717億円）と公表", "約\n7,717億円", "about JPY 771.7 billion"),
    ("→半導体関連技術に計５兆円を", "計５兆円", "a total of JPY 5 trillion"),
    ("2025年度までの6年間に1兆円の案件形成を支援", "1兆円", "JPY 1 trillion"),
    # percentages
    ("世界のGDP、貿易総額及び人口の約３割", "約３割", "about 30%"),
    ("総人口2億5000万の8割が貧困ライン下位に", "8割", "80%"),
    ("我が国のFTAカバー率は80.4％に。", "80.4％", "80.4%"),
    ("標を現行の40%減から55%減に深掘り。", "55%減", "a 55% cut"),
    ("カバー率を最大１００％（通常９０％）に引き上げ", "最大１００％", "up to 100%"),
    ("ASEANのエネルギー需要全体は、2040年までに60％増加。", "60％増加", "a 60% increase"),
    # dates and periods
    ("２０２０年１０月、「国別行動計画」（ＮＡＰ）を策定", "２０２０年１０月", "October 2020"),
    ("G7サミット：6月11日～13日＠コーンウォール", "6月11日～13日", "11–13 June"),
    ("COP26：11月1日～12日＠グラスゴー", "11月1日～12日", "1–12 November"),
    ("日ASEANビジネスウィーク（2021年５月24日～28日）", "2021年５月24日～28日", "24–28 May 2021"),
    ("日豪印経済閣僚共同声明（抜粋）（2021年４月27日）", "2021年４月27日", "27 April 2021"),
    ("2021.4.16日米首脳会談で打ち出し済", "2021.4.16", "16 April 2021"),
    ("感染者数の推移(2020.1～2021.5)", "2020.1～2021.5", "January 2020 – May 2021"),
    ("2020年６月以降、ASEANや中南米", "2020年６月以降", "from June 2020"),
    ("WTO上級委員会は2019年12月以来機能停止", "2019年12月以来", "since December 2019"),
    ("2021年中の規則制定が目標", "2021年中", "during 2021"),
    ("2030年までにサプライチェーンの100%", "2030年までに", "by 2030"),
    ("気候サミット（４月）を開催", "４月", "April"),
    ("電子化率 R2年度", "R2年度", "FY2020"),
    ("電子化率 H22年度", "H22年度", "FY2010"),
    ("2025年度までの6年間", "2025年度まで", "until FY2025"),
    # years
    ("２０１１年、国連人権理事会において", "２０１１年", "2011"),
    # counts
    ("※中国は80か国以上にワクチンを無償提供", "80か国以上", "80 or more countries"),
    ("125カ国・1地域", "125カ国", "125 countries"),
    ("125カ国・1地域", "1地域", "1 region"),
    ("ファーウェイ等152社", "152社", "152 companies"),
    ("センシティブな137品目（総輸入額6％相当）", "137品目", "137 items"),
    ("政策勧告を100日以内に行う", "100日以内", "within 100 days"),
    ("インド以外は発効18か月後から加入可", "18か月後", "after 18 months"),
    ("一人当たりGDPの差は6倍", "6倍", "6 times"),
    ("認証企業は38社", "38社", "38 companies"),
    ("９エコノミー", "９エコノミー", "9 economies"),
    ("気候変動、重要・新興技術に関する３つのワーキンググループ", "３つ", "3"),
    # numbers and Latin names
    ("総人口2億5000万の8割", "2億5000万", "250 million"),
    ("地域的な包括的経済連携（RCEP）協定", "RCEP", "RCEP"),
])
def test_rendering(line: str, text: str, english: str) -> None:
    assert to_english(span_of(line, text)) == english


@pytest.mark.parametrize(("line", "text", "english"), [
    ("• 20年7月、2030年までにサプライチェーンの100%", "20年7月", "July 2020"),
    ("（21年5月17日時点）", "21年5月17日", "17 May 2021"),
    ("輸出管理を21年夏に施行予定", "21年夏", "summer 2021"),
    ("「国家集積回路産業投資基金」設置(’14, ’19年)", "’19年", "2019"),
    ("設置(’14, ’19年)", "’14", "2014"),
])
def test_two_digit_years_need_a_reference_year(line: str, text: str, english: str) -> None:
    span = span_of(line, text)
    assert to_english(span) is None
    assert to_english(span, doc_year=2021) == english


def test_the_same_year_renders_with_the_year_of_the_date_before_it() -> None:
    assert to_english(span_of("20年9月ドイツが、同年11月オランダが", "同年11月")) == "November 2020"
    assert to_english(span_of("2019年6月に開催、同年12月に合意", "同年12月")) == "December 2019"


def test_relative_dates_take_the_document_year_when_given() -> None:
    span = span_of("本年9月にFuture Tech Forumを開催", "本年9月")
    assert (to_english(span), to_english(span, doc_year=2021)) == ("September this year", "September 2021")
    span = span_of("本年半ばの国際合意が目標", "本年半ば")
    assert (to_english(span), to_english(span, doc_year=2021)) == ("the middle of this year", "mid-2021")


@pytest.mark.parametrize(("line", "text"), [
    ("発足後100日で40本超の大統領令", "40本超"),  # 本 counts long things: orders? bills? unsure
    ("感染者検知アプリ「健康コード」", "健康コード"),  # no dictionary: Japanese names stay untranslated
    ("QUAD（日・米・豪・印）首脳会合", "日・米・豪・印"),
])
def test_unsure_returns_none(line: str, text: str) -> None:
    assert to_english(span_of(line, text)) is None


def test_table_cells_render_as_percentages() -> None:
    cells = table_cells("世界 -3.3 6.0", "(%) 2020年 2021年")
    assert [to_english(c.span) for c in cells] == ["-3.3%", "6.0%"]


def test_bare_numbers_keep_their_digits() -> None:
    assert to_english(Span("number", "6.0", 0, 3, 6.0)) == "6.0"
    assert to_english(Span("number", "１，２００", 0, 5, 1200.0)) == "1,200"


def test_invalid_month_is_not_rendered() -> None:
    assert to_english(Span("date", "2020年13月", 0, 8)) is None


def test_amount_range() -> None:
    assert to_english(Span("amount", "１～２兆円", 0, 5, 1e12, "円", "兆")) == "JPY 1–2 trillion"
