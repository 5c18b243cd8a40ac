"""typed_spans / table_cells / matches on real lines of the trade-policy deck."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa.question_analysis import AnswerType, answer_type
from qa.span_names import list_items, name_spans, typed_spans
from qa.spans import Span, matches, numeric_spans, table_cells

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "trade_policy_2021.txt"


def kinds(text: str, kind: str) -> list[str]:
    return [s.text for s in typed_spans(text) if s.kind == kind]


def only(text: str, kind: str) -> Span:
    found = [s for s in typed_spans(text) if s.kind == kind]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(("line", "text", "value", "unit", "scale"), [
    ("①大規模な経済対策（総計６兆ドル規模）", "総計６兆ドル規模", 6e12, "ドル", "兆"),
    ("米国「家族」計画※ （1.8兆ドル。人的インフラへの投資", "1.8兆ドル", 1.8e12, "ドル", "兆"),
    ("米国「雇用」計画※（2.25兆ドル。インフラ投資等による雇用創", "2.25兆ドル", 2.25e12, "ドル", "兆"),
    ("• コロナからの復興と次世代への準備のための7,500億\nユーロの中長期的対策パッケージを策定。",
     "7,500億\nユーロ", 7.5e11, "ユーロ", "億"),
    ("スタートアップ支援に37.5億ポンドを支援。", "37.5億ポンド", 3.75e9, "ポンド", "億"),
    ("→半導体関連技術に計５兆円を", "計５兆円", 5e12, "円", "兆"),
    ("（約15兆円）規模の政府支出を計画。", "約15兆円", 1.5e13, "円", "兆"),
    ("尼政府は、経済損失額を100兆ルピア（約", "100兆ルピア", 1e14, "ルピア", "兆"),
    ("法案」も超党派で提出。50億ド\nルの国際技術パートナーシップ基金", "50億ド\nル", 5e9, "ドル", "億"),
])
def test_amounts(line: str, text: str, value: float, unit: str, scale: str) -> None:
    span = only(line, "amount")
    assert (span.text, span.value, span.unit, span.scale) == (text, value, unit, scale)
    assert line[span.start:span.end] == span.text


@pytest.mark.parametrize(("line", "texts", "values"), [
    ("RCEPは、世界のGDP、貿易総額及び人口の約３割、我が国の貿易総額のうち約５割を占める",
     ["約３割", "約５割"], [30.0, 50.0]),
    ("地域経済連携協定。署名により、我が国のFTAカバー率は80.4％に。", ["80.4％"], [80.4]),
    ("標を現行の40%減から55%減に深掘り。", ["40%減", "55%減"], [40.0, 55.0]),
    ("（中国：8%→86%、韓国：19%→92%）", ["8%", "86%", "19%", "92%"], [8.0, 86.0, 19.0, 92.0]),
    ("→15-10=5％分を親会社で課税", ["5％"], [5.0]),
    ("総人口2億5000万の8割が貧困ライン下位に", ["8割"], [80.0]),
])
def test_percentages(line: str, texts: list[str], values: list[float]) -> None:
    spans = [s for s in typed_spans(line) if s.kind == "percentage"]
    assert [s.text for s in spans] == texts and [s.value for s in spans] == values


@pytest.mark.parametrize(("line", "text", "kind"), [
    ("２０２０年１０月、「国別行動計画」（ＮＡＰ）を策定", "２０２０年１０月", "date"),
    ("G7サミット：6月11日～13日＠コーンウォール", "6月11日～13日", "date"),
    ("• 20年7月、2030年までにサプライチェーンの100%", "20年7月", "date"),
    ("日ASEANビジネスウィーク（2021年５月24日～28日）", "2021年５月24日～28日", "date"),
    ("2021.4.16日米首脳会談で打ち出し済", "2021.4.16", "date"),
    ("実際の世界各国の感染者数の推移(2020.1～2021.5)", "2020.1～2021.5", "date"),
    ("中国は、コロナ危機からの脱出を誇示するとともに、2020年６月以降、ASEANや", "2020年６月以降", "date"),
    ("サイバー監視システム等に係る輸出管理を21年夏に施行予定", "21年夏", "date"),
    ("２０１８年、企業に対し責任ある行動", "２０１８年", "year"),
    ("2025年度までの6年間に1兆円の案件形成を支援", "2025年度まで", "date"),
    ("R2年度", "R2年度", "date"),
])
def test_dates(line: str, text: str, kind: str) -> None:
    dates = [s for s in typed_spans(line) if s.kind in ("date", "year")]
    assert (dates[0].text, dates[0].kind) == (text, kind)


def test_relative_dates() -> None:
    spans = numeric_spans("本年9月にFuture Tech Forumを開催")
    assert [(s.kind, s.text) for s in spans] == [("date", "本年9月")]
    assert only("本年半ばの国際合意が目標", "date").unit == "relative"
    assert numeric_spans("本年は") == []


def test_durations_answer_date_questions() -> None:
    assert matches("date", only("政策勧告を100日以内に行う", "count"))
    assert not matches("date", only("ファーウェイ等152社", "count"))
    # 1年以内 is a duration too; a bare 14年 (2014? fourteen years?) is neither
    span = only("※防衛産業基盤等のサプライチェーンレビューは１年以内に実施。", "count")
    assert (span.text, span.value, span.unit) == ("１年以内", 1.0, "年") and matches("date", span)
    assert only("3年後に見直し", "count").value == 3.0
    assert numeric_spans("14年に開始") == [] and only("2019年以降", "date").value == 2019.0


def test_a_duration_answers_a_count_only_of_time() -> None:
    # "How many anti-dumping measures …" names no time unit: 「過去10年」 counts years, not measures
    ten_years = only("※CVD措置の発動は過去10年なし", "count")
    assert not matches(answer_type("How many anti-dumping measures does Japan have?", "en"), ten_years)
    assert not matches(answer_type("AD措置の件数はいくつ？", "ja"), ten_years)
    assert matches(answer_type("For how many years has Japan imposed no CVD measures?", "en"), ten_years)
    assert matches(answer_type("CVD措置は過去何年発動されていない？", "ja"), ten_years)
    weeks = only("協議は2週間以内に開始", "count")
    assert matches(answer_type("How many weeks do the talks take to start?", "en"), weeks)
    assert matches(answer_type("協議開始まで何週間？", "ja"), weeks)
    assert matches(AnswerType("count"), only("ファーウェイ等152社", "count"))  # no unit asked: any count


def test_a_year_used_as_a_word_is_no_count() -> None:
    # 「2050カーボンニュートラル」 counts nothing; 「14の重要分野」 counts fields
    title = "「2050カーボンニュートラルに伴うグリーン成長戦略」"
    assert not matches(AnswerType("count"), only(title, "number"))
    assert matches(AnswerType("count"), only("→14の重要分野ごとに", "number"))


def test_clipped_years_are_years() -> None:
    spans = [s for s in numeric_spans("「国家集積回路産業投資基金」設置(’14, ’19年)") if s.kind == "year"]
    assert [(s.text, s.value) for s in spans] == [("’14", 2014.0), ("’19年", 2019.0)]
    assert only("’98年度に開始", "date").value == 1998.0
    assert not [s for s in numeric_spans("it’s 20% of Biden's plan") if s.kind in ("year", "date")]


def test_the_same_year_is_the_year_of_the_date_before_it() -> None:
    dates = [s for s in numeric_spans("20年9月ドイツが、同年11月オランダが、それぞれ") if s.kind == "date"]
    assert [(s.text, s.value, s.unit) for s in dates][1] == ("同年11月", 2020.0, "同年")
    assert numeric_spans("2019年6月に開催、同年12月に合意")[-1].value == 2019.0
    # no date before it: only the month is a date
    assert [s.text for s in numeric_spans("同年11月に発表") if s.kind == "date"] == ["11月"]


def test_era_fiscal_year_value() -> None:
    assert only("R2年度", "date").value == 2020.0
    assert only("H22年度", "date").value == 2010.0


@pytest.mark.parametrize(("line", "text", "value", "unit"), [
    ("※中国は80か国以上にワクチンを無償提供、50か国以上に輸出", "80か国以上", 80.0, "か国"),
    ("125カ国・1地域", "125カ国", 125.0, "か国"),
    ("ファーウェイ等152社を再輸出規制の対象に", "152社", 152.0, "社"),
    ("センシティブな137品目（総輸入額6％相当）を特定。", "137品目", 137.0, "品目"),
    ("発足後100日で40本超の大統領令", "40本超", 40.0, "本"),
    ("世界で309企業、日本は54企業", "309企業", 309.0, "社"),
    ("インド以外は発効18か月後から加入可", "18か月後", 18.0, "か月"),
    ("一人当たりGDPの差は6倍", "6倍", 6.0, "倍"),
    ("CVD措置の発動は過去10年なし", "10年", 10.0, "年"),
])
def test_counts(line: str, text: str, value: float, unit: str) -> None:
    counts = {s.text: (s.value, s.unit) for s in typed_spans(line) if s.kind == "count"}
    assert counts[text] == (value, unit)


def test_numbers_inside_latin_names_are_not_numbers() -> None:
    texts = [s.text for s in numeric_spans("G7サミットとCOP26、CO2回収")]
    assert texts == []


def test_slide_numbers_do_not_swallow_years() -> None:
    spans = numeric_spans("１．2019年（日本議長）")
    assert [(s.kind, s.text) for s in spans] == [("year", "2019年")]  # １． numbers a bullet


@pytest.mark.parametrize("line", ["Ⅶ－１①．WTOの３つの機能", "Ⅳ－４．経済安全保障", "（２）グリーン",
                                  "21世紀型の自由で公正なルール", "5G網の整備", "14次計画",
                                  "※1 現在、参加", "プライバシー保護枠組み※1 。"])
def test_labels_and_word_heads_are_not_numbers(line: str) -> None:
    # "how many members does the WTO have" must not be answered by the section number １
    assert [s.text for s in numeric_spans(line) if s.kind == "number"] == []


def test_bare_numbers_that_are_quantities_stay() -> None:
    spans = numeric_spans("日本 -4.8 3.3、比率は5.2。総人口2億5000万の")
    assert [s.text for s in spans if s.kind == "number"] == ["-4.8", "3.3", "5.2", "2億5000万"]


def test_ordinals_are_not_counts() -> None:
    spans = numeric_spans("第12回WTO閣僚会議")
    assert [s.kind for s in spans] == ["number"]
    assert matches(AnswerType("count"), spans[0])  # 第何回: which one
    assert not matches(AnswerType("count", "人"), spans[0])  # how many people: not an ordinal


def test_bare_era_axis_labels_are_not_years() -> None:
    spans = typed_spans("H22 H23 R1 R2年度")
    assert [s.text for s in spans if s.kind in ("year", "date", "name")] == ["R2年度"]


def test_compound_scale_number() -> None:
    span = only("総人口2億5000万の", "number")
    assert (span.text, span.value) == ("2億5000万", 2.5e8)


def test_names() -> None:
    line = "G7サミット：6月11日～13日＠コーンウォール COP26：11月1日～12日＠グラスゴー"
    names = {s.text: s.unit for s in typed_spans(line) if s.kind == "name"}
    assert names == {"G7": "latin", "コーンウォール": "place", "COP26": "latin", "グラスゴー": "place"}
    people = {(s.text, s.unit) for s in typed_spans("2019年の議長の梶山経産大臣") if s.kind == "name"}
    assert ("梶山", "person") in people
    assert "健康コード" in kinds("感染者検知アプリ「健康コード」", "name")
    assert "Future Tech Forum" in kinds("開催に合意した「Future Tech Forum」", "name")


def test_a_bracketed_noun_phrase_is_a_name_but_figures_lists_and_clauses_are_not() -> None:
    line = "• 新たな貿易政策を発表（開かれた戦略的自律）。"
    span = next(s for s in typed_spans(line) if s.text == "開かれた戦略的自律")
    assert (span.kind, span.unit, line[span.start:span.end]) == ("name", "quote", "開かれた戦略的自律")
    for line in ("会合を開催（2021年3月）", "RCEP（日、中、韓、豪、NZ）", "輸出が増加（前年比で増えた）",
                 "支援を拡充（ただし一部）", "（資料）IMF"):
        inner = line[line.index("（") + 1:line.index("）")]
        assert all(s.text != inner for s in typed_spans(line) if s.kind == "name"), line


def test_bracketed_lists() -> None:
    span = only("QUAD（日・米・豪・印）首脳会合を開催", "list")
    assert [i.text for i in list_items(span)] == ["日", "米", "豪", "印"]
    span = only("RCEP（日、中、韓、豪、NZ）", "list")
    items = list_items(span)
    assert [i.text for i in items] == ["日", "中", "韓", "豪", "NZ"]
    assert all("RCEP（日、中、韓、豪、NZ）"[i.start:i.end] == i.text for i in items)


def test_running_lists() -> None:
    assert kinds("AI、量子情報、集積回路、生命・健康、宇宙等", "list") == [
        "AI、量子情報、集積回路、生命・健康、宇宙"]
    assert kinds("CPTPP、日米デジタル貿易協定、日英EPA、RCEPにおいて", "list") == [
        "CPTPP、日米デジタル貿易協定、日英EPA、RCEP"]


def test_names_joined_by_separators_are_a_list() -> None:
    line = "2020年６月以降、ASEANや中南米、アフリカ等をターゲットに「ワクチン外交」を本格化。"
    span = only(line, "list")
    assert span.text == "ASEANや中南米、アフリカ" and span.value == 3
    items = list_items(span)
    assert [i.text for i in items] == ["ASEAN", "中南米", "アフリカ"]
    assert all(line[i.start:i.end] == i.text for i in items)
    assert kinds("日本及び米国、EUは合意", "list") == ["日本及び米国、EU"]
    # names with other words between them are not an enumeration, nor is a run that starts or
    # ends inside a word (日EU・EPA is one agreement)
    assert kinds("米国は中国に対抗し、EUと連携", "list") == []
    assert kinds("WTO交渉や日EU・EPAやAPEC CBPRの見直し", "list") == []


def test_a_country_in_its_one_character_form_alone_is_a_place() -> None:
    assert kinds("• 仏・英などの多くの諸外国がDSTを暫定的に導入。", "list") == ["仏・英"]
    [us] = [s for s in typed_spans("■失業保険給付金の上乗せ（米）") if s.unit == "country"]
    assert us.text == "米" and matches("place", us)
    assert not matches("name", us)  # 「（日）」 says whose measure it is, not which fund
    # inside a word it names no country: 日米, 日中韓, 中・長期, 日・米首脳
    for line in ("日米首脳会談", "日中韓の協力", "中・長期的に", "日・米首脳の合意"):
        assert not [s for s in typed_spans(line) if s.unit == "country"], line


def test_a_katakana_name_before_a_title_is_a_person() -> None:
    spans = typed_spans("オコンジョ新事務局長の下、第12回WTO閣僚会合で改革")
    assert ("オコンジョ", "person") in [(s.text, s.unit) for s in spans if s.kind == "name"]
    # a country before a title stays a place: フランス大統領 is France's president
    assert [(s.text, s.unit) for s in typed_spans("フランス大統領が訪日") if s.kind == "name"] == [
        ("フランス", "place")]
    # a title inside a longer word is no title: サプライチェーン大統領令 is an executive order
    assert [(s.text, s.unit) for s in typed_spans("米国サプライチェーン大統領令（2021年2月）")
            if s.kind == "name"] == [("米国", "place")]


def test_who_holds_an_office_is_answered_by_a_person_only() -> None:
    line = "日本は、CPTPP、日EUEPA、日米貿易協定、日英EPA等の発効を通じ、ルールの構築を主導。"
    office = AnswerType("name", "person")
    assert [s.text for s in typed_spans(line) if matches(office, s)] == []  # not "EUEPA"
    assert [s.text for s in typed_spans("オコンジョ新事務局長の下") if matches(office, s)] == ["オコンジョ"]
    assert [s.text for s in typed_spans(line) if matches(AnswerType("name"), s)]  # who acted: any name
    # Sudachi tags GAIA (of 「GAIA-」, cut at the line's end) as a given name: a Latin word is no person
    cut = "• 欧州域内のクラウドサービスの統合を図るために「GAIA-"
    assert [s.text for s in typed_spans(cut) if matches(office, s)] == []



def test_a_company_asked_for_is_not_answered_by_a_place() -> None:
    line = "• 欧州の衣料品企業A社は、20年9月、ウイグルからの綿花調達停止を発表。"
    company = AnswerType("name", "org")
    assert [s.text for s in typed_spans(line) if matches(AnswerType("name"), s)
            and s.unit == "place"]  # any name: the places 欧州, ウイグル
    assert [s.text for s in typed_spans(line) if matches(company, s) and s.unit == "place"] == []
    assert matches(company, Span("name", "ASPI", 0, 4, unit="latin"))


def test_an_acronym_of_no_place_answers_no_place_question_in_either_width() -> None:
    where = AnswerType("place")
    line = "ＷＴＯに懐疑的であったトランプ政権に代わり、米国とも連携。"  # the deck writes ＷＴＯ and WTO
    assert "ＷＴＯ" not in [s.text for s in typed_spans(line) if matches(where, s)]
    assert not matches(where, Span("name", "ＷＴＯ", 0, 3, unit="latin"))
    assert matches(where, Span("name", "ＡＳＥＡＮ", 0, 5, unit="latin"))  # a group of countries is one

HEADER = "(%) 2020年 2021年 (%) 2020年 2021年"


def test_table_cells_single_label() -> None:
    cells = table_cells("世界 -3.3 6.0", HEADER)
    assert [(c.label, c.column, c.span.text, c.span.value) for c in cells] == [
        ("世界", "2020年", "-3.3", -3.3), ("世界", "2021年", "6.0", 6.0)]
    assert all(c.span.kind == "percentage" for c in cells)


def test_table_cells_two_groups() -> None:
    row = "先進国 -4.7 5.1 新興国・発展途上国 -2.2 6.7"
    cells = table_cells(row, HEADER)
    assert [(c.label, c.column, c.span.value) for c in cells] == [
        ("先進国", "2020年", -4.7), ("先進国", "2021年", 5.1),
        ("新興国・発展途上国", "2020年", -2.2), ("新興国・発展途上国", "2021年", 6.7)]
    assert all(row[c.span.start:c.span.end] == c.span.text for c in cells)


def test_table_cells_single_group_header_repeats_columns() -> None:
    cells = table_cells("米国 -3.5 6.4 中国 2.3 8.4", "(%) 2020年 2021年")
    assert [(c.label, c.column) for c in cells][2:] == [("中国", "2020年"), ("中国", "2021年")]


def test_table_cells_without_header_columns() -> None:
    assert table_cells("世界 -3.3 6.0", "") == []


def test_matches() -> None:
    amount = only("1.8兆ドル", "amount")
    assert matches(answer_type("規模はいくらですか", "ja"), amount)
    assert matches("amount", amount)
    assert not matches("percentage", amount)
    assert not matches(AnswerType("amount", unit="円"), amount)
    assert matches(AnswerType("count", unit="か国"), only("80か国以上", "count"))
    assert not matches(AnswerType("count", unit="社"), only("80か国以上", "count"))
    assert matches("date", only("2018年", "year")) and matches("year", only("２０２０年１０月", "date"))
    assert not matches("year", only("6月11日", "date"))
    assert not matches("definition", amount) and not matches("yesno", amount)
    assert matches("place", Span("name", "グラスゴー", 0, 5, unit="place"))
    assert not matches("place", Span("name", "梶山", 0, 2, unit="person"))


def test_every_span_of_the_corpus_is_a_verbatim_slice() -> None:
    text = CORPUS.read_text(encoding="utf-8")[:20000]
    spans = typed_spans(text)
    assert len(spans) > 300
    assert all(text[s.start:s.end] == s.text for s in spans)


_ALPHABET = "0123456789０１２３４５６７８９年月日兆億万円ドル％%割か国社～-.,、・（）() \nAB"


@given(st.text(alphabet=_ALPHABET, max_size=40))
def test_offsets_always_slice_the_original(text: str) -> None:
    for span in numeric_spans(text):
        assert text[span.start:span.end] == span.text and span.start < span.end


def test_a_slide_wrap_inside_a_word_does_not_cut_a_name():
    line = "②新型コロ\nナにより顕在化した課題。台湾TSMCは米国\nと協議。"
    spans = name_spans(line)
    assert "コロ" not in {s.text for s in spans}
    assert all(line[s.start:s.end] == s.text for s in spans)
    assert {"米国", "TSMC"} <= {s.text for s in spans}  # names next to a wrap are still found


@pytest.mark.parametrize("line, acronym, expansions", [
    ("サプライチェーン強靱化イニシアティブ（SCRI)", "SCRI", ["サプライチェーン強靱化イニシアティブ"]),
    ("APEC越境プライバシールール（CBPR: Cross-Border Privacy Rules）システム", "CBPR",
     ["Cross-Border Privacy Rules", "APEC越境プライバシールール"]),
    ("J-Bridge：Japan Innovation Bridge", "J-Bridge", ["Japan Innovation Bridge"]),
    ("2019年1月「データ・フリー・フロー・ウィズ・\nトラスト（ＤＦＦＴ）」の理念", "DFFT",
     ["データ・フリー・フロー・ウィズ・\nトラスト"]),  # full-width acronym, a wrapped line
    ("●共通理念としてのData Free Flow with Trust（信頼性のある自由なデータ流通）", "DFFT",
     ["Data Free Flow with Trust"]),  # its initials spell it
    ("CBPRは、APECにおける任意参加のプライバシー保護枠組み", "CBPR", []),  # uses it, does not expand it
    ("RCEPは、世界のGDP、貿易総額及び人口の約３割", "RCEP", []),
])
def test_expansions(line: str, acronym: str, expansions: list[str]) -> None:
    from qa.span_names import expansion_spans

    found = expansion_spans(line, acronym)
    assert [s.text for s in found] == expansions
    assert all(line[s.start:s.end] == s.text and s.unit == "expansion" for s in found)



def test_a_date_wrapped_across_slide_lines_is_one_date() -> None:
    spans = numeric_spans("交渉を行っており、2020年12\n月、それまでの成果を統合テキストとして")
    assert [(s.kind, s.text) for s in spans] == [("date", "2020年12\n月")]  # not the year 2020 alone
    assert [s.text for s in numeric_spans("2020年\n12月に")] == ["2020年\n12月"]
    # table columns on two lines stay apart
    assert [s.text for s in numeric_spans("日本 -4.8 3.3\n4.5 2.3")] == ["-4.8", "3.3", "4.5", "2.3"]


@pytest.mark.parametrize("line, place", [
    ("• 別途、インド・南アフリカが、知的財産の", "南アフリカ"),  # not アフリカ: India and South Africa asked
    ("東南アジアへの投資", "東南アジア"),
    ("西アフリカの港", "西アフリカ"),
])
def test_a_compass_direction_belongs_to_the_place_it_starts(line: str, place: str) -> None:
    places = [s.text for s in typed_spans(line) if s.kind == "name" and s.unit == "place"]
    assert place in places
    assert not [p for p in places if p != place and place.endswith(p)]  # アフリカ alone is not a place here


def test_an_acronym_answers_a_place_question_only_when_it_names_places() -> None:
    place = AnswerType("place")
    line = "RCEPは、世界のGDP、貿易総額及び人口の約３割"
    assert [s.text for s in typed_spans(line) if matches(place, s)] == []  # GDP is not a country
    signatories = "非ASEAN署名国（日、中、韓、豪、NZ）５カ国のうち３カ国が"
    assert {"ASEAN", "NZ"} <= {s.text for s in typed_spans(signatories) if matches(place, s)}
    assert [s.text for s in typed_spans(line) if matches(AnswerType("name"), s)]  # still a name


def test_a_spans_context_skips_the_parenthetical_after_it() -> None:
    from qa.text import SPAN_WINDOW, around_span

    line = ("現在、9エコノミー（日本、米国、シンガポール、韓国、台湾、カナダ、フィリピン、豪州、メキシコ）"
            "が参加、認証企業は38社。")
    (nine,) = [s for s in numeric_spans(line) if s.text == "9エコノミー"]
    assert line.index("が参加") - nine.end > SPAN_WINDOW
    window = around_span(line, nine)
    assert "が参加" in window and "シンガポール" in window  # the list itself is still read



def test_a_latin_title_wrapped_after_a_small_word_is_one_name() -> None:
    names = [s.text for s in name_spans("調査報告 “Uyghurs for\nSale” を公表。\nEU\nUS")]
    assert "Uyghurs for\nSale" in names and "EU" in names and "US" in names  # not EU\nUS


def test_kanji_counts_with_tsu_are_counts() -> None:
    from qa.english import to_english

    (three,) = numeric_spans("③救済へのアクセスの三つに分類。")
    assert (three.text, three.kind, three.value, three.unit) == ("三つ", "count", 3.0, "つ")
    assert to_english(three) == "3"
    assert not numeric_spans("統一つ")  # 一 ends a word here
