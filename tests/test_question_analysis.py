"""answer_type: the kind of answer and the unit a question asks for, in Japanese and English."""

from __future__ import annotations

import pytest

from qa.question_analysis import KINDS, AnswerType, answer_type

JA_CASES = [
    ("日本の首相は誰ですか", "name", "person"),  # an office's holder
    ("デジタル庁のトップに就く人物の名前を教えて。", "name", "person"),  # 人物: a person
    ("2019年の閣僚会合で議長を務めたのは誰ですか。", "name", "person"),  # who held the chair
    ("特に脆弱とされたのはいくつの品目ですか？", "count", "品目"),  # the counted noun after いくつの
    ("RE100を開始したのは誰ですか", "name", ""),  # whoever acted
    ("米国の経済対策の総額はいくらですか。", "amount", ""),
    ("復興基金の規模はどれくらいですか？", "amount", ""),
    ("EUの対策パッケージの規模は？", "amount", ""),
    ("スタートアップ支援には何億ポンドが充てられますか。", "amount", "ポンド"),
    ("インフラ投資の金額を教えてください。", "amount", ""),
    ("日本のFTAカバー率は何％ですか。", "percentage", "%"),
    ("ユーロ圏の2021年の成長率は？", "percentage", "%"),
    ("IMFによる2021年の世界の成長率見通しは？", "percentage", "%"),
    ("RCEPは世界人口のどのくらいを占めますか。", "percentage", "%"),
    ("貧困層の割合はどれくらいですか。", "percentage", "%"),
    ("国産化目標は何割ですか。", "percentage", "%"),
    ("エネルギー需要は2040年までにどれくらい増加しますか。", "percentage", "%"),  # like "how much grow"
    ("RCEPに参加している国を教えてください", "place", ""),
    # a request whose object is the noun asked about: typed like 「…の見通しは？」
    ("中国の成長率の見通しを教えてください", "percentage", "%"),
    ("英国がCPTPPに加入申請した日を教えて", "date", ""),
    ("CBAMの導入時期を教えて下さい。", "date", ""),
    ("カーボンニュートラルの目標年は？", "year", ""),
    ("ASEANの人口を教えてください。", "count", ""),
    ("J-Bridgeについて教えてください", "definition", ""),
    ("半導体戦略の内容を教えてください", "definition", ""),
    ("2050年の目標は", "definition", ""),
    ("輸出はどのくらい減少しましたか。", "percentage", "%"),
    ("中国は半導体にどれくらいの規模の投資をしましたか", "amount", ""),
    ("中国は何か国にワクチンを輸出しましたか。", "count", "か国"),
    ("環境物品は何品目ですか。", "count", "品目"),
    ("再輸出規制の対象は何社ですか。", "count", "社"),
    # colloquial って marks the noun asked about, as は does
    ("IMFの数字だと、日本の2020年の成長率ってどれくらいだった？", "percentage", "%"),
    ("復興基金の予算ってどれくらい？", "amount", ""),
    ("参加している企業ってどれくらい？", "count", "社"),
    ("CBPRの認証を受けている企業はどこ？", "name", "org"),  # a company is asked for: no place answers
    ("承認国の数はいくつですか。", "count", "か国"),  # the counted noun before 数: countries
    ("2050年までのカーボンニュートラルを表明した国・地域はいくつですか", "count", "か国"),
    ("RE100に加わっている日本企業はいくつありますか？", "count", "社"),
    ("脱炭素を約束した国はどれくらいありますか？", "count", "か国"),
    ("中国の数値目標は？", "definition", ""),  # 数値 is no count
    ("参加企業数は？", "count", "社"),
    ("ASEANの人口は？", "count", ""),
    ("大統領令は何本出されましたか。", "count", "本"),
    ("ガイダンスは何年に策定されましたか。", "year", ""),
    ("CVD措置は過去何年発動されていませんか。", "count", "年"),  # how many years, not which
    ("何年ぶりの開催ですか。", "count", "年"),
    ("日EU・EPAはいつ発効しましたか。", "date", ""),
    ("デジタル庁の新設の時期は？", "date", ""),
    ("日EU・EPAの発効日は？", "date", ""),
    ("フォーラムは何月に開催されますか。", "date", ""),
    ("G7サミットはどこで開催されましたか。", "place", ""),
    ("重点国とされているのはどの国ですか。", "place", ""),
    ("RCEPの参加国は？", "place", ""),
    ("鉄鋼フォーラムの議長を務めたのは誰ですか。", "name", "person"),  # 誰: a person, not 議長国
    ("EUの新たな貿易政策は何と呼ばれていますか。", "name", ""),
    ("その文書の名称は何ですか。", "name", ""),
    ("SCRIとは何の略称ですか。", "name", ""),
    ("DFFTの重要性が合意されたのはどの会合ですか。", "name", ""),
    ("EUが中国依存の低減を目指す6分野は何ですか。", "list", ""),
    ("主な産業政策として挙げられているものは何ですか。", "list", ""),
    ("3つのワーキンググループはどの分野に関するものですか。", "list", ""),
    ("デジタル貿易協定には何がありますか。", "list", ""),
    ("J-Bridgeとは何ですか。", "definition", ""),
    ("DFFTとは？", "definition", ""),
    ("中国のワクチン外交について教えてください。", "definition", ""),
    ("「したたかな」対応とはどのようなものですか。", "definition", ""),
    ("中国はどのような姿勢をとっていますか。", "definition", ""),
    ("上級委員会の審理が停止したのはなぜですか。", "definition", ""),
    ("NEDO国際実証事業は何を目的としていますか。", "definition", ""),
    ("日本はCPTPPに加盟していますか。", "yesno", ""),
    ("RCEPは発効しましたか？", "yesno", ""),
]

EN_CASES = [
    ("How much will the EU spend on health programmes?", "amount", ""),
    ("How large is the American Families Plan?", "amount", ""),
    ("What is the size of the EU recovery package?", "amount", ""),
    ("How many billion dollars does the fund hold?", "amount", "ドル"),
    ("How much, in euros, is the Recovery and Resilience Facility?", "amount", "ユーロ"),
    ("What share of world GDP does RCEP cover?", "percentage", "%"),
    # "what is the <measure> of": the measure noun says what is asked, not "what is"
    ("What is the GDP share of RCEP members in the world?", "percentage", "%"),
    ("What was Japan's share of exports to China?", "percentage", "%"),
    ("What is the value of the American Jobs Plan?", "amount", ""),
    ("What is the scale of Japan's green fund?", "amount", ""),
    ("What was the signing date of RCEP?", "date", ""),
    ("What are the values Japan shares with the US?", "definition", ""),  # values: no measure
    ("What is the value chain strategy?", "definition", ""),
    # a polite frame: what follows it is the question, not a yes/no one
    ("Could you tell me how many countries China sent vaccines to?", "count", "か国"),
    ("Can you tell me when RCEP was signed?", "date", ""),
    ("Do you know the size of the American Jobs Plan?", "amount", ""),
    ("Do you know who chairs the steel forum?", "name", ""),
    ("I'd like to know when the UK applied to join the CPTPP.", "date", ""),
    ("I want to know the share of Japan's trade covered by FTAs.", "percentage", "%"),
    ("Can you list the priority fields of J-Bridge?", "list", ""),
    ("Could you explain what DFFT is?", "definition", ""),
    ("Do you know if RCEP has entered into force?", "yesno", ""),
    ("Can you tell me whether Japan has imposed CVD measures?", "yesno", ""),
    ("Can Japan join RCEP?", "yesno", ""),  # no frame: a yes/no question
    ("If RCEP enters into force, what happens to tariffs?", "definition", ""),
    ("What is the target year for carbon neutrality?", "year", ""),
    ("I'd like to know the total scale of the US economic packages.", "amount", ""),
    ("Which nations signed RCEP?", "place", ""),
    ("What growth rate did the IMF forecast for China in 2021?", "percentage", "%"),
    ("By how much did the euro area economy shrink in 2020?", "percentage", "%"),
    ("the FTA coverage ratio?", "percentage", "%"),
    ("How many countries received Chinese vaccines?", "count", "か国"),
    ("How many companies are CBPR-certified?", "count", "社"),
    ("Tell me the RCEP member countries", "place", ""),
    ("How many doctors does Indonesia have per person?", "count", "人"),  # not 6倍
    ("How many years has Japan gone without a CVD measure?", "count", "年"),
    ("What number of items were judged sensitive?", "count", ""),
    ("In what year was the OECD guidance adopted?", "year", ""),
    ("When did the Japan-UK EPA enter into force?", "date", ""),
    ("On what date did the UK apply to join the CPTPP?", "date", ""),
    ("Which month will the forum be held?", "date", ""),
    ("Where was the G7 summit held?", "place", ""),
    ("Which country chairs the steel forum?", "place", ""),
    ("Who is the new WTO Director-General?", "name", "person"),  # an office's holder: a person
    ("What is the name of the dialogue with ASEAN?", "name", ""),
    ("What does SCRI stand for?", "name", ""),
    ("Which organisation certifies CBPR in Japan?", "name", "org"),
    ("Which European clothing brand stopped buying Xinjiang cotton?", "name", "org"),
    ("Which think tank published the report on forced labour?", "name", "org"),
    ("What's the price tag on the American Jobs Plan?", "amount", ""),
    ("Which industries will the carbon border tax cover?", "list", ""),
    ("How many vaccine doses has China donated?", "count", "回"),  # doses, not the countries given them
    ("List the six priority fields of J-Bridge.", "list", ""),
    ("What are the three functions of the WTO?", "list", ""),
    ("Give examples of environmental goods.", "list", ""),
    ("What is Data Free Flow with Trust?", "definition", ""),
    ("What vision did Malaysia publish in 2019?", "name", ""),
    ("What's the name of the UK growth plan?", "name", ""),
    ("Tell me about J-Bridge.", "definition", ""),
    ("Why did the Appellate Body stop working?", "definition", ""),
    ("How does Japan plan to secure advantages?", "definition", ""),
    ("Is Japan a member of the CPTPP?", "yesno", ""),
    ("Did the EU impose sanctions on China?", "yesno", ""),
    ("Has RCEP entered into force?", "yesno", ""),
    ("Who is the Prime Minister of Japan?", "name", "person"),  # an office's holder
    ("Who runs RE100?", "name", ""),  # whoever acted: an organisation will do
    ("Who is the UK's COP26 president?", "name", "person"),  # a possessive before the office
    ("Who currently heads Japan's new Digital Agency?", "name", "person"),  # who heads: a person
    ("Who is the new head of the WTO?", "name", "person"),  # the head of a body is a person
    ("Who chaired the 2019 ministerial meeting?", "name", ""),  # a chair may be a country (Italy)
    ("Which US official is keen to engage China on climate?", "name", "person"),
    ("Which EU commissioner announced the plan?", "name", "person"),
    ("Which official body certifies companies?", "name", "org"),  # an office qualifying a noun: no person
    ("Which head office handles it?", "name", ""),
]


@pytest.mark.parametrize(("question", "kind", "unit"), JA_CASES)
def test_japanese(question: str, kind: str, unit: str) -> None:
    got = answer_type(question, "ja")
    assert (got.kind, got.unit) == (kind, unit), got


@pytest.mark.parametrize(("question", "kind", "unit"), EN_CASES)
def test_english(question: str, kind: str, unit: str) -> None:
    got = answer_type(question, "en")
    assert (got.kind, got.unit) == (kind, unit), got


def test_full_width_question_is_normalised() -> None:
    assert answer_type("成長率は何％ですか", "ja").kind == "percentage"
    assert answer_type("成長率は何%ですか", "ja").kind == "percentage"


def test_two_asks_are_both_reported() -> None:
    ja = answer_type("COP26はいつ、どこで開催されますか。", "ja")
    assert ja.kind == "date" and "place" in ja.also
    en = answer_type("Where and when was the G7 summit held?", "en")
    assert en.kind == "place" and "date" in en.also


def test_when_as_a_conjunction_is_not_a_date_question() -> None:
    assert answer_type("What problem do firms face when selling abroad?", "en").kind == "definition"


def test_earliest_specific_cue_wins_in_english() -> None:
    assert answer_type("Which source were the growth forecasts taken from?", "en").kind == "name"


def test_a_japanese_question_word_decides_over_the_noun_it_asks_about() -> None:
    who = answer_type("東南アジアのデジタル経済の規模は誰の調査によるものですか", "ja")
    assert (who.kind, who.also) == ("name", ())  # 規模 names the subject, not what is asked
    assert answer_type("市場規模はいつ10兆ドルに達しますか", "ja").kind == "date"
    assert answer_type("予算はどこが負担しますか", "ja").kind == "place"
    # a noun cue still decides when the question word asks for it (or for a description)
    assert answer_type("投資の規模はどのくらいですか", "ja").kind == "amount"
    assert answer_type("重点分野としてどのような取組が挙げられていますか", "ja").kind == "list"


@pytest.mark.parametrize(("question", "kind"), [
    # which body is a name, not a place
    ("日本のCBPR認証団体はどこですか", "name"), ("RCEPの事務局はどこにありますか", "place"),
    ("J-Bridgeを運営しているのはどこの組織ですか", "name"), ("どこの国が議長国ですか", "place"),
    # a place noun a few words after "which", or a bare place noun asked about
    ("Which US state will host TSMC's new factory?", "place"),
    ("Which five countries does the study cover?", "place"),
    ("Which Chinese state-owned chip foundry was flagged?", "name"),
    ("TSMCが工場を建設する州は？", "place"), ("CPTPPに加入要請した国は？", "place"),
    # what a country aims at (目指す, like 目標) is a description, not a name
    ("中国が2060年までに目指しているのは何ですか", "definition"),
    # a cause, a background or an effect is told, not named (「豪州」 is no answer to きっかけ)
    ("日豪のレアアース協力のきっかけは何ですか", "definition"), ("その背景は何ですか", "definition"),
    ("米国が輸出管理を強化した影響は何ですか", "definition"),
    # how far a level was raised is a share, not a place
    ("EUは2030年の排出削減目標をどこまで引き上げましたか", "percentage"),
    ("融資保険のカバー率を最大どこまで引き上げるの？", "percentage"),
    # how much of a whole is a share
    ("How much of Japan's total trade does RCEP account for?", "percentage"),
    ("How much of the plan goes to infrastructure?", "amount"),
])
def test_bodies_places_and_shares(question: str, kind: str) -> None:
    assert answer_type(question, "en" if question.isascii() else "ja").kind == kind


def test_the_counted_noun_follows_the_count_cue_not_what() -> None:
    counted = answer_type("What is the number of RE100 member companies in Japan?", "en")
    assert (counted.kind, counted.unit) == ("count", "社")
    assert answer_type("How many countries signed RCEP?", "en").unit == "か国"


def test_which_years_asks_for_years() -> None:
    assert answer_type("In which years was China's chip fund set up?", "en").kind == "year"


def test_scale_hint() -> None:
    assert answer_type("How many trillion yen is the fund?", "en").scale == "兆"
    assert answer_type("投資額は何兆円ですか。", "ja") == AnswerType("amount", "円", "兆", cue="額は")


def test_unknown_language_is_guessed_from_script() -> None:
    assert answer_type("いつ発効しましたか", "xx").kind == "date"
    assert answer_type("When did it enter into force?", "").kind == "date"


def test_typed_flag_and_kinds() -> None:
    assert answer_type("何％ですか", "ja").typed
    assert not answer_type("なぜですか", "ja").typed
    assert all(answer_type(q, "ja").kind in KINDS for q, _, _ in JA_CASES)


def test_empty_question_is_other() -> None:
    assert answer_type("", "ja").kind == "other"
    assert answer_type("", "en").kind == "other"


@pytest.mark.parametrize("question, acronym", [
    ("What does CBPR stand for?", "CBPR"),
    ("What does J-Bridge stand for?", "J-Bridge"),
    ("SCRIとは何の略称ですか。", "SCRI"),
    ("ＤＦＦＴの正式名称は？", "DFFT"),
    ("What is the full name of the RCEP agreement?", "RCEP"),
    ("What is CBPR?", None),  # a definition, not an expansion
    ("What do CBPR and DFFT stand for?", None),  # two: not one expansion to look for
    ("What does the G7 stand for?", None),  # a name with a number, not an acronym to spell out
    ("What is the full name of the Japan-US climate partnership?", None),  # two countries
    ("What is the full name of the EU-China CAI?", "CAI"),
])
def test_asked_acronym(question: str, acronym: str | None) -> None:
    from qa.questions import asked_acronym

    assert asked_acronym(question) == acronym


@pytest.mark.parametrize("question, language, kind", [
    # the noun before どのくらい / どれだけ says what is measured
    ("基金を通じた投資は合計でどのくらいと書かれていますか", "ja", "amount"),
    ("カーボンニュートラルを表明している国はどれだけありますか", "ja", "count"),
    ("輸出はどのくらい増加しましたか", "ja", "percentage"),
    # どの + a noun that is neither a place nor a field nor a time asks for a name
    ("フォーラムの設立はどのサミットで合意されたのでしょうか", "ja", "name"),
    ("どの国が署名しましたか", "ja", "place"),
    ("どの時期に発効しましたか", "ja", "date"),
    ("関税などの貿易障壁の削減は何を実現するためのものか", "ja", "definition"),  # 「などの」 is no どの
    ("中国の成長率の見通しを知りたいです", "ja", "percentage"),
    ("英国がスタートアップ支援に出す規模を調べて", "ja", "amount"),
    # English: the share in "how large a share", the noun after an imperative, a terse head noun
    ("How large a share of the world's GDP does RCEP cover?", "en", "percentage"),
    ("Name the place that hosted the G7 summit in June 2021.", "en", "place"),
    ("Give me the name of the think tank that published the report", "en", "name"),
    ("Name the three working groups", "en", "list"),
    ("american jobs plan price tag", "en", "amount"),
    ("tsmc new us factory location", "en", "place"),
    ("japan uk epa entry into force", "en", "date"),
    ("Who heads the WTO at the moment?", "en", "name"),
    ("How fast did the IMF expect China's economy to grow in 2021?", "en", "percentage"),
    ("Give me the size of the EU's recovery facility.", "en", "amount"),
    ("Give me the countries that signed RCEP", "en", "list"),  # no measure noun: the imperative decides
    ("new wto director general", "en", "name"),
    # a clause of context before a dash: the clause after it asks
    ("The EU flagged goods for which it relies on imports — how many products did it find?", "en", "count"),
])
def test_phrasings_found_in_fresh_questions(question: str, language: str, kind: str) -> None:
    assert answer_type(question, language).kind == kind


def test_european_is_no_euro_unit() -> None:
    assert answer_type("By how much is the target cut under the European climate law?", "en").unit == ""
    assert answer_type("How much did the EU spend in euros?", "en").unit == "ユーロ"


def test_dono_kurai_in_kanji_is_no_name_question() -> None:
    assert answer_type("予算はどの位ですか", "ja").kind == "amount"  # どの位 = どのくらい
