"""What kind of answer a question asks for (amount, date, count, name...) and the unit it wants.

Rules are cue words, tried from the most specific (何％, how many countries) to the most general
(何ですか, what is), in Japanese and English, including questions with no question word
(「…の規模は？」, "the size of X?"). Units are returned in the canonical form ``qa.spans`` uses
(ドル, 円, %, か国, 社...), so ``qa.spans.matches`` can compare them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

KINDS = ("amount", "percentage", "date", "year", "count", "place", "name", "list", "definition",
         "yesno", "other")
TYPED = frozenset({"amount", "percentage", "date", "year", "count"})


@dataclass(frozen=True)
class AnswerType:
    """``kind`` is one of ``KINDS``; ``unit`` a canonical unit hint (ドル, 円, ユーロ, %, か国, 品目, 社...)
    or ""; ``scale`` a scale hint (兆, 億) or ""; ``cue`` the words that decided it (for debugging)."""

    kind: str
    unit: str = ""
    scale: str = ""
    cue: str = ""
    also: tuple[str, ...] = ()  # other kinds asked too: 「いつ、どこで」, "where and when"

    @property
    def typed(self) -> bool:
        """True when a short typed span (a number, a date) can answer the question."""
        return self.kind in TYPED

def _rules(table: list[tuple[str, list[str]]]) -> list[tuple[str, re.Pattern]]:
    """Compile (kind, alternatives) into (kind, one regex); alternatives are listed one per line."""
    return [(kind, re.compile("|".join(alternatives))) for kind, alternatives in table]


_CURRENCY_JA = {"ドル": "ドル", "米ドル": "ドル", "円": "円", "ユーロ": "ユーロ", "元": "元",
                "ポンド": "ポンド", "ルピア": "ルピア"}
_COUNT_JA = {"か国": "か国", "カ国": "か国", "ヶ国": "か国", "品目": "品目", "社": "社", "企業": "社",
             "件": "件", "人": "人", "名": "人", "本": "本", "つ": "つ", "項目": "項目", "分野": "分野",
             "機関": "機関", "エコノミー": "エコノミー", "回": "回", "倍": "倍", "日": "日", "か月": "か月",
             "カ月": "か月", "週間": "週", "年間": "年", "地域": "地域", "種類": "種類", "個": "",
             "段階": "段階", "メートル": "", "キロ": "", "トン": ""}
_COUNT_JA_RX = "|".join(sorted(_COUNT_JA, key=len, reverse=True))
# how much something grew or fell, like English "how much did X grow": 60％増加
_CHANGE_JA = (r"(?:どの|どれ)(?:くらい|ぐらい|程度|だけ|ほど)[^？?。、]{0,4}?"
              r"(?:増加|減少|増え|減っ|減り|伸び|伸長|成長|拡大|縮小|上昇|低下|下落|落ち込)")
_YEARS_COUNT_JA = r"(?:過去|ここ|この)何年|何年(?:ぶり|連続)"  # how many years, not which year
# 「投資は合計でどのくらい」, 「表明した国はどれだけ」: the noun before it says what is measured
_HOW_MUCH_JA = r"[^、。？?]{0,6}?(?:どの|どれ)(?:くらい|ぐらい|程度|だけ|ほど)(?!の)"
# 「どこまで引き上げ」 asks how far a level was raised (「55%減」, 「最大100%」), not where
_HOW_FAR_JA = r"どこまで(?:引き上|引き下|上げ|下げ|高め|削減|低減|増|減|拡大)"
_JA_RULES = _rules([
    ("percentage", [r"何(?:%|パーセント|割)", _CHANGE_JA, _HOW_FAR_JA,
                    r"(?:どの(?:くらい|程度)|どれ(?:くらい|だけ|ほど))(?:の割合)?を占め",
                    r"どの(?:くらい|程度)の割合", r"割合|比率|シェア",
                    r"(?:率|比)(?:は|が|を|って)?(?:何|どの|どれ|いくら|$)"]),
    ("amount", [r"いくら|金額|[額費]は|額を|予算", r"規模(?!に関する|の)",
                r"何(?:兆|億|万|千)?(?:円|ドル|ユーロ|ポンド|元)",
                r"どれだけの(?:投資|資金|支出|予算)",
                r"(?:どの|どれ)(?:くらい|ぐらい|程度|ほど)の(?:規模|金額|額|投資|予算|資金|支出)",
                rf"(?:額|投資|予算|資金|支出|費用|規模)(?:は|が|って){_HOW_MUCH_JA}"]),
    ("count", [rf"何(?:{_COUNT_JA_RX})", r"いくつ|数は|数を|どれだけの数|人口(?:は|って)",
               rf"(?:国|企業|品目|件数|人数)(?:は|が|って){_HOW_MUCH_JA}",
               _YEARS_COUNT_JA]),
    ("year", [r"何年(?![代間前後度])|西暦"]),
    ("date", [r"いつ|何月|何日|時期|期間|日付|何年度|期限"]),
    ("name", [r"誰|何と(?:呼ば|いう|言う|称)|名称|(?:社|国|人|企業|団体)名|名前",
              r"タイトル|題名|表題|何の略|どこによる",
              r"(?:団体|機関|企業|会社|組織|事業者|当局|銀行)(?:は|が|って)どこ",  # which body, not where
              r"どこの(?:団体|機関|企業|会社|組織|事業者|当局|銀行)",  # 「どこの組織ですか」 too
              r"どの(?:企業|会社|組織|機関|会合|場|委員会|法|協定|計画|報告)",
              r"どの(?:文書|制度|イニシア|プロジェクト|枠組|団体|人物)",
              r"(?<![なほ])どの(?!よう|くらい|ぐらい|程度|位|辺|国|地域|都市|州|港|分野|項目|品目|水準|段階|時|年|月|日)[一-龥ァ-ヶ]"]),
    ("place", [r"どこ(?!まで)|場所|開催地|所在", r"どの(?:国|地域|都市|州|港)",
               r"(?:国|国々|国・地域|加盟国|参加国|署名国|都市)を(?:教えて|挙げて)"]),
    ("list", [r"挙げ|主な|には何が|何があり|それぞれ|とは何と何",
              r"(?:どの|どのような)(?:分野|項目|品目)",
              r"(?:\d|[一二三四五六七八九十])つ(?:の|は)", r"\d(?:分野|品目|項目)"]),
    ("definition", [r"どのよう|どういう|どんな|なぜ|何故|理由|目的|何を|何に|教えて|説明して",
                    r"意味|内容|背景|どう", r"とは(?:何|どの)"]),
])
_JA_WH = re.compile(r"何|いつ|どこ|誰|どの|どう|どれ|いくら|いくつ|なぜ|どんな")
_JA_YESNO = re.compile(r"(?:ます|ました|です|でした|でしょう|ある|いる|た)か[。？?]?$|か否か|かどうか")
# 「…の規模は？」, 「…の成長率の見通しを教えてください」: the noun asked about ends the question
_ASKED_JA = (r"(?:は|って|を(?:教えて(?:ください|下さい)?|知りたい(?:です)?|"
             r"調べて(?:ください)?|答えて(?:ください)?))")
_TAIL, _TAIL_SAID = rf"{_ASKED_JA}?[。？?]?$", rf"{_ASKED_JA}[。？?]?$"
_JA_NOUN_Q = _rules([  # 「…の規模は？」: a noun asked about, no question word
    ("percentage", [rf"(?:率|割合|比率|シェア)(?:の)?(?:見通し|予測|見込み|目標|実績)?{_TAIL}"]),
    ("amount", [rf"(?:規模|金額|額|予算|費用){_TAIL}"]),
    ("count", [rf"(?:数|人口){_TAIL}"]),
    ("year", [rf"(?:目標年|達成年|年次){_TAIL}"]),
    ("date", [rf"(?:時期|日程|期限|日付|期間|日|年月|時点){_TAIL}"]),
    ("place", [rf"(?:場所|開催地|所在地){_TAIL}",
               rf"(?:参加国|加盟国|署名国|対象国|国々|重点国|国・地域){_TAIL}",
               rf"(?:国|州|都市|地域){_TAIL_SAID}"]),  # 「工場を建設する州は？」
    ("name", [rf"(?:名称|名前|タイトル){_TAIL}"]),
    ("definition", [r"とは[？?]?$", r"について(?:教えて(?:ください)?|説明して(?:ください)?)?[。？?]?$",
                    r"(?:目標|目的|内容|課題|方針|狙い|役割|要件|条件|理由)(?:は|って)[？?]?$"]),
])
_WHAT_JA = re.compile(r"何(?:ですか|でしたか|か|でしょうか|なの)|は[？?]$")
# 「…のきっかけは何ですか」 asks for a description, not a name (「豪州」 is no answer to it)
_DESCRIBED_JA = re.compile(r"目標|目指|目的|内容|対策|役割|課題|要件|条件|方針|理由|狙い|きっかけ|契機|背景|"
                           r"原因|要因|影響|意義|特徴|効果|懸念|問題点|仕組み")
_LIST_NOUN_JA = re.compile(r"(?:分野|品目|項目|国々|措置|例|施策|取組|対象|柱|原則)(?:は|として|には)")

# "What is the (GDP) share of …", "What was the value of …": the measure noun says what is asked
_WHAT_IS_THE = r"\bwhat (?:is|was|are|were|will be) (?:the |its |their )?(?:[\w-]+'s )?(?:[\w-]+ ){0,2}"
_PLACE_EN = r"(?:city|country|countries|nations?|region|place|location|state|province)(?![\w-])"
_IMPERATIVE_THE = r"^(?:name|give me|tell me|identify) (?:the |which )?(?:[\w-]+ ){0,2}"
_EN_RULES = _rules([
    ("percentage", [r"\bwhat (?:share|percentage|proportion|percent|fraction)\b",
                    r"\bhow (?:large|big|great|high) (?:a|the) (?:share|proportion|percentage|portion)\b",
                    r"\bhow (?:fast|quickly) (?:[\w'-]+ ){0,8}grow",
                    rf"{_WHAT_IS_THE}(?:share|proportion|fraction)\b",
                    r"\bpercent|\b(?:rate|ratio)\b",
                    r"\bhow much (?:[\w'-]+ ){0,8}(?:grow|shrink|rise|fall|increase|decrease|decline)",
                    r"\bgrowth (?:rate|forecast)|\bwhat (?:real )?(?:gdp )?growth",
                    r"\bcoverage ratio|\bwhat level\b", r"\b(?:by )?how much .*\b(?:share|rate|ratio)\b",
                    r"\b(?:forecast|project|expect|estimate)\w* (?:[\w'-]+ ){0,5}growth\b",
                    r"\bhow much of (?:[\w'-]+ ){0,8}(?:account|make up|represent|cover|occup|compris)"]),
    ("amount", [r"\bhow (?:much|large|big)\b|\b(?:size|scale) of\b|\bwhat (?:amount|sum|budget|size)\b",
                rf"{_WHAT_IS_THE}(?:amount|value|scale|sum) of\b",
                r"\bcost\b|\bworth\b|\bprice(?: tag)? (?:of|on|for)\b|\bin (?:dollars|yen|euros|pounds)\b",
                r"\b(?:surplus|deficit|budget)\b",
                r"\bhow many (?:\w+ )?(?:dollars|yen|euros|pounds|yuan)\b"]),
    ("count", [r"\bhow many\b|\bnumber of\b|\bwhat number\b|\bpopulation\b"]),
    ("year", [r"\b(?:what|which|in what|from which|from what) years?\b", rf"{_WHAT_IS_THE}year\b"]),
    ("date", [r"^when\b|\b(?:and|or|since|by|until|from) when\b|,\s*when\b|\bwhen\s*\?",
              r"\b(?:what|which|on what) (?:date|month|day|time|period)\b",
              rf"{_WHAT_IS_THE}(?:date|day|month)\b",
              r"\bhow long\b|\btime frame\b|\bdeadline\b"]),
    # "Name the place …", "Give me the name of …": the noun after the imperative says what is asked
    ("place", [rf"{_IMPERATIVE_THE}(?:place|city|country|venue|location|state|region)\b"]),
    ("name", [rf"{_IMPERATIVE_THE}name\b|^name the (?:[\w-]+ ){{0,2}}(?:organi[sz]ation|company|firm|body|"
              r"agency|think tank|institute|person|official|initiative|programme|program|plan|law|"
              r"report|forum|event|summit|meeting)\b"]),
    ("list", [r"^(?:list|name|give|enumerate)\b|\bname (?:some|the|three|two|four|all)\b",
              r"\bgive (?:some )?examples?\b", r"\bwhat are the (?:two|three|four|five|six|seven|\d+|main)\b",
              r"\bwhat (?:two|three|four|five|six) ",
              r"\bwhich (?:[\w-]+ ){0,3}(?:fields|sectors|industries|areas|items|products|economies|"
              r"measures)\b"]),
    ("place", [r"\bwhere\b|\bin what (?:city|country)\b",
               rf"\bwhich (?:[\w-]+ ){{0,2}}{_PLACE_EN}",
               r"^tell me (?!how )(?:the |which )?(?:[\w-]+ ){0,3}(?:countries|nations|cities|regions|"
               r"members)\b"]),
    ("name", [r"\bwho\b|\bwhom\b|\bwhat is (?:the )?name\b|\bwhat (?:is|was|are) .*\bcalled\b",
              r"\bstand for\b|\btitle\b",
              r"\bwhich (?:\w+ ){0,3}(?:organi[sz]ation|source|company|firm|platform|bill|laws?|plan|body)\b",
              r"\bwhich (?:\w+ ){0,3}(?:partnership|initiative|agreement|official|paper|report|document)\b",
              r"\bwhich (?:\w+ ){0,3}(?:event|election|forum|conglomerate|project|technology|term)\b",
              r"\bwhich (?:\w+ ){0,3}(?:vision|dialogue)\b",
              r"\bwhat (?:term|title|platform)\b|\bwhich\b",
              r"^what (?:[\w-]+ )?(?:vision|plan|strategy|initiative|programme|program|partnership|law)\b",
              r"^what (?:[\w-]+ )?(?:agreement|forum|dialogue|document|report|proposal|platform|body)\b"]),
    ("definition", [r"\bwhat (?:is|are|was|were|does|do|did|kind|sort|type)\b|\bdescribe\b",
                    r"\bhow (?:does|do|did|is|are|was)\b|\bwhy\b|\bpurpose\b|\bexplain\b|\bmean\b|\bwhat\b",
                    r"^(?:tell me|describe|explain|summari[sz]e)\b"]),
])
# a polite frame around the question: what follows it is the question
_POLITE_EN = re.compile(r"^(?:please,? )?(?:(?:could|can|would|will) you (?:please )?"
                        r"(?=tell|explain|list|name|describe|give|say|let)|do you know,? |"
                        r"i(?:'d| would) like to know,? |i want to know,? |i wonder,? )?"
                        r"(?:(?:tell|let) me (?:know )?"
                        r"(?=(?:how|when|where|which|who|whom|what|why|whether|if)\b))?")
_EN_YESNO = re.compile(r"^(?:is|are|was|were|does|do|did|has|have|had|can|could|will|would|should)\b")
_EN_NOUN_Q = _rules([
    ("percentage", [r"\b(?:rate|share|percentage|ratio)\??$",
                    r"^the (?:[\w-]+ ){0,2}(?:share|proportion|percentage|rate|ratio) of\b"]),
    ("amount", [r"\b(?:size|scale|amount|budget|cost|value|price tag)\b.*\??$"]),
    ("count", [r"\b(?:number|count)\b.*\??$"]),
    ("date", [r"\b(?:date|deadline|timing|day|entry into force)\b.*\??$"]),
    ("place", [r"\b(?:location|venue|host city)\b.*\??$"]),
    ("name", [r"\b(?:director[- ]general|secretary[- ]general|president|prime minister|ceo|chair|head)\??$"]),
])
_EN_UNITS = [("ドル", r"dollars?|usd|\$"), ("円", r"\byen\b|jpy"), ("ユーロ", r"\beuros?\b|\beur\b"),
             ("ポンド", r"pounds?|gbp"), ("元", r"yuan|rmb|cny"), ("%", r"percent|%|percentage|share|rate\b"),
             ("か国", r"countries|nations"), ("品目", r"products|goods"), ("社", r"companies|firms"),
             ("件", r"cases|projects|deals"), ("年", r"\byears\b"), ("日", r"\bdays\b"), ("週", r"\bweeks\b"),
             ("人", r"people|persons|participants|doctors|physicians|nurses|workers|employees|staff|"
                   r"students|visitors|residents|citizens|patients"),
             ("か月", r"months"), ("分野", r"fields|sectors|areas"), ("エコノミー", r"economies"),
             ("本", r"executive orders|orders"), ("項目", r"principles|points"),
             ("回", r"\bdoses\b|\btimes\b")]
_EN_SCALE = [("兆", r"trillion"), ("億", r"billion|hundred million")]
_CURRENCY_IN_JA = re.compile(r"何(兆|億|万|千)?(円|ドル|ユーロ|ポンド|元|ルピア)"
                             r"|(兆|億)?(円|ドル|ユーロ|ポンド)(?:で|建て)")
_COUNT_IN_JA = re.compile(rf"何({_COUNT_JA_RX})")
# the thing counted, named around 数 or いくつ: 「国の数」「国・地域数」「日本企業はいくつ」「いくつの品目」
_COUNTED_NOUN_JA = re.compile(r"(?<=いくつの)(国|企業|品目|件)|(国|企業|品目|件)(?:・地域)?"
                              r"(?:の?数(?![値量字])|(?:[はをが]|って)(?:いくつ|幾つ|どれ(?:くらい|ぐらい|だけ|ほど)))")


def _ja_unit(q: str, kind: str) -> tuple[str, str]:
    if kind == "percentage":
        return "%", "割" if "割" in q else ""
    if kind == "amount":
        m = _CURRENCY_IN_JA.search(q)
        if m:
            return _CURRENCY_JA[m.group(2) or m.group(4)], m.group(1) or m.group(3) or ""
    if kind in ("count", "list"):
        m = _COUNT_IN_JA.search(q)
        if m:
            return _COUNT_JA[m.group(1)], ""
        if re.search(_YEARS_COUNT_JA, q):
            return "年", ""
        m = _COUNTED_NOUN_JA.search(q)
        if m:
            return {"国": "か国", "企業": "社", "品目": "品目", "件": "件"}[m.group(1) or m.group(2)], ""
    if kind == "name" and _ROLE_JA.search(q):
        return "person", ""
    if kind == "name" and _ORG_JA.search(q):
        return "org", ""
    return "", ""


_ALSO = frozenset({"amount", "percentage", "date", "year", "count", "place", "name"})


def _also(q: str, rules: list[tuple[str, re.Pattern]], chosen: str, cue: re.Match) -> tuple[str, ...]:
    """Other kinds asked elsewhere in the question (cues overlapping the deciding cue do not count)."""
    kinds: list[str] = []
    for kind, rx in rules:
        if kind in _ALSO and kind != chosen and kind not in kinds:
            m = rx.search(q)
            if m and (m.end() <= cue.start() or m.start() >= cue.end()):
                kinds.append(kind)
    return tuple(kinds)


def _japanese(q: str) -> AnswerType:
    for kind, rx in _JA_NOUN_Q:
        if not _JA_WH.search(q) and rx.search(q):
            return AnswerType(kind, *_ja_unit(q, kind), cue=rx.search(q).group())
    found = [(kind, m) for kind, rx in _JA_RULES if (m := rx.search(q))]
    asked = next(((k, m) for k, m in found
                  if k not in ("definition", "list") and _JA_WH.search(m.group())), None)
    if asked and not _JA_WH.search(found[0][1].group()):
        # 「…の規模は誰の調査か」: the question word decides, and the noun before it is not asked too
        kind, m = asked
        also = tuple(k for k in _also(q, _JA_RULES, kind, m) if k != found[0][0])
        return AnswerType(kind, *_ja_unit(q, kind), cue=m.group(), also=also)
    for kind, m in found:
        if kind == "definition" and _WHAT_JA.search(q) and not re.search(r"どのよう|なぜ|理由|どう", q):
            break  # 「…を目的としていますか」 with 何: fall through to the 何ですか rules below
        return AnswerType(kind, *_ja_unit(q, kind), cue=m.group(), also=_also(q, _JA_RULES, kind, m))
    if _WHAT_JA.search(q):
        if re.search(r"とは何(?:ですか|か)", q):
            return AnswerType("definition", cue="とは何")
        if _LIST_NOUN_JA.search(q):
            return AnswerType("list", cue=_LIST_NOUN_JA.search(q).group())
        if _DESCRIBED_JA.search(q):
            return AnswerType("definition", cue="何(目標/内容)")
        return AnswerType("name", cue="何ですか")
    if not _JA_WH.search(q) and _JA_YESNO.search(q):
        return AnswerType("yesno", cue=_JA_YESNO.search(q).group())
    return AnswerType("other")


# "Who is (Japan's) prime minister", "who heads", 「首相は誰」: a person holding an office, not whoever acted
# what follows an office that is asked about ("which official is …", "which envoy visited …"), not a
# noun it qualifies ("which official body", "which head office")
_VERB_AFTER_ROLE = r"(?:is|was|are|were|has|had|did|does|do|will|would|can|says|met|heads|leads|led|\w+ed)\b"
_ROLES_EN = (r"(?:prime minister|president|ceo|chair(?:man|woman|person)?|director[- ]general|"
             r"secretary[- ]general|minister|secretary|governor|chancellor|premier|envoy|"
             r"ambassador|commissioner|head|leader|chief|official)")
_ROLE_EN = re.compile(rf"\bwho (?:is|was|are|were|has been) (?:the |its |their )?(?:[\w'.-]+ ){{0,4}}?"
                      rf"{_ROLES_EN}\b|\bwho (?:\w+ )?(?:heads|headed)\b|"
                      rf"\bwhich (?:[\w'.-]+ ){{0,2}}?{_ROLES_EN}s?(?=\s*[,?]|\s*$|\s+{_VERB_AFTER_ROLE})")
_ROLE_JA = re.compile(r"(?:首相|総理(?:大臣)?|大統領|事務局長|大臣|長官|議長|委員長|総裁|主席|特使|大使|"
                      r"社長|CEO)(?:は|って|を務め[たるてい]{1,3}(?:の|人)は)誰|人物")

# a company or body is asked for: a place (ウイグル, 欧州) or a person is no answer
_ORG_EN = re.compile(r"\b(?:which|what) (?:[\w'-]+ ){0,3}?(?:company|companies|firms?|brands?|makers?|"
                     r"manufacturers?|organi[sz]ations?|agency|agencies|body|bodies|banks?|think tanks?|"
                     r"institutes?|conglomerates?)\b")
_ORG_JA = re.compile(r"(?:企業|会社|団体|機関|組織|事業者|銀行|ブランド|メーカー)(?:は|が|って)どこ|"
                     r"どこの(?:企業|会社|団体|機関|組織|事業者|銀行)|どの(?:企業|会社|組織|機関|団体)")


def _en_units(low: str, kind: str) -> tuple[str, str]:
    if kind == "name" and _ROLE_EN.search(low):
        return "person", ""
    if kind == "name" and _ORG_EN.search(low):
        return "org", ""
    if kind == "percentage":
        return "%", ""
    if kind not in ("amount", "count", "list"):
        return "", ""
    where = low
    if kind != "amount":  # a counted noun follows its cue: "how many (sensitive) items", "number of firms"
        # "what is the number of … companies": the count cue, not "what", says where the noun is
        m = (re.search(r"\b(?:how many|number of)((?: [\w'-]+){1,4})", low)
             or re.search(r"\b(?:which|what)((?: [\w'-]+){1,4})", low))
        where = m.group(1) if m else ""
    unit = next((u for u, p in _EN_UNITS if re.search(p, where)), "")
    scale = next((s for s, p in _EN_SCALE if re.search(p, low)), "")
    if kind == "amount" and unit not in ("ドル", "円", "ユーロ", "ポンド", "元"):
        unit = ""
    if kind != "amount" and unit in ("ドル", "円", "ユーロ", "ポンド", "元", "%"):
        unit = ""
    return unit, scale


def _english(q: str) -> AnswerType:
    """The earliest specific cue wins ("Which source ... growth forecasts" is a name, "Where and when"
    a place); the generic what/how/why rule (definition) only when no specific cue matched."""
    low = re.sub(r"\b(what|who|where|when|how)'s\b", r"\1 is", q.lower().replace("’", "'").strip())
    asked = _POLITE_EN.sub("", low, count=1)  # "Could you tell me when …" asks when, not yes or no
    if asked != low and re.match(r"(?:if|whether)\b", asked):  # "Do you know if RCEP has …?"
        return AnswerType("yesno", cue=asked.split()[0])
    low = asked
    framed = re.match(r"(?:give me|identify|show me) (?=the )", low)
    if framed and any(rx.search(low[framed.end():]) for _, rx in _EN_NOUN_Q):
        low = low[framed.end():]  # "Give me the size of …" asks for the size, not a list
    clauses = re.split(r"\s[—–-]+\s|;\s", low)
    if len(clauses) > 1 and re.search(r"\b(?:what|when|where|which|who|how)\b", clauses[-1]):
        low = clauses[-1]  # "The EU flagged goods for which … — how many products?" asks how many
    wh = re.search(r"\b(?:what|when|where|which|who|whom|whose|why|how)\b", low)
    if _EN_YESNO.match(low) and not (wh and wh.start() < 12):
        return AnswerType("yesno", cue=_EN_YESNO.match(low).group())
    imperative = re.match(r"(?:list|name|give|enumerate|tell me|describe|explain|summari[sz]e)\b", low)
    rules = _EN_RULES if wh or imperative else _EN_NOUN_Q + _EN_RULES
    hits = []
    for order, (kind, rx) in enumerate(rules):
        m = rx.search(low)
        if m:
            generic = kind == "definition"
            hits.append((generic, m.start(), order, kind, m))
    if not hits:
        return AnswerType("other")
    _, _, _, kind, cue = min(hits, key=lambda h: h[:3])
    also = _also(low, rules, kind, cue)
    return AnswerType(kind, *_en_units(low, kind), cue=cue.group(), also=also)


def answer_type(question: str, language: str) -> AnswerType:
    """The kind of answer ``question`` asks for; ``language`` is "ja" or "en" (anything else is
    guessed from the script)."""
    q = unicodedata.normalize("NFKC", question).strip()
    if language not in ("ja", "en"):
        language = "ja" if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", q) else "en"
    return _japanese(q) if language == "ja" else _english(q)
