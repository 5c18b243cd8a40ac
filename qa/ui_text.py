"""The chat page's words: labels in Japanese and English, example questions, mode names."""

from __future__ import annotations

from qa.config import MODES

UI_LANGUAGES = {"日本語": "ja", "English": "en"}

EXAMPLES = [
    "G7サミットはどこで開催された？",
    "EUの復興パッケージの規模はいくらですか。",
    "RCEPは世界のGDPのどのくらいを占めますか。",
    "Where was the G7 summit held?",
    "How large is the EU recovery package?",
    "What share of world GDP does RCEP cover?",
]

TEXT: dict[str, dict[str, str]] = {
    "ja": {
        "title": "通商政策 QA アシスタント",
        "intro": "2021年の日本の通商政策資料について、日本語か英語で質問してください。"
                 "回答には出典番号 [n] が付き、引用箇所を資料の中で確認できます。",
        "chatbot": "会話", "placeholder": "質問を入力してください（日本語 / English）",
        "settings": "設定", "mode": "検索方式", "k": "参照する箇所の数 (k)",
        "answerer": "回答エンジン", "viewer": "資料ビューア", "slide": "スライドを選択",
        "viewer_hint": "スライドを選ぶと全文を表示します。",
        "sources": "出典", "closest": "最も近い箇所（参考）", "rank": "順位", "score": "スコア",
        "open_slide": "スライド全体を開く", "passages_n": "{n} 箇所",
        "not_covered": "記載なし", "searching": "資料を検索しています…",
        "loading": "準備中です（{what}、{s} 秒経過）…", "empty": "質問を入力してください。",
        "error": "エラー: {msg}", "internal": "内部エラーが発生しました（詳細はサーバーのログ）。",
        "notice": "注意", "stopped": "（停止しました）",
        "show_all": "すべて表示（{n:,} 文字）", "show_less": "折りたたむ",
        "truncated": "質問が長いため（{n:,} 文字）、最初の {max:,} 文字だけで回答しました。",
        "copy": "出典付きでコピー", "copied": "コピーしました", "copy_sources": "出典",
        "feedback_up": "👍 ありがとうございます。", "feedback_down": "👎 記録しました。",
        "feedback_hint": "コメント（任意）: 何が足りなかったか、正しい答えは何か",
        "feedback_send": "コメントを送る", "feedback_saved": "コメントを保存しました。",
        "feedback_off": "フィードバックの記録はオフです。", "feedback_gone": "この回答の記録が見つかりません"
                                                                   "（サーバーが再起動されました）。",
        "starting": "準備中です…", "stage_wait": "起動中", "stage_index": "索引を作成中（初回のみ）",
        "stage_load": "索引を読み込み中", "stage_warm": "埋め込みモデルを読み込み中",
        "ready": "✔ 準備完了: {n} 箇所・{s} スライドを検索できます。", "started": "（起動 {t:.1f} 秒）",
        "failed": "✖ 読み込みに失敗しました: {msg}",
        "extractive": "抽出型（オフライン）: 資料の文をそのまま引用します。サーバー不要。",
        "reachable": "✔ {name}: {msg}",
        "unreachable": "⚠ {name}: {msg} — 到達できない間は抽出型の回答を表示します。",
        "not_configured": "（LLM 未設定: `--llm openai|ollama` と QA_LLM_MODEL / QA_LLM_BASE_URL で設定）",
        "mode_hybrid": "ハイブリッド", "mode_dense": "ベクトル", "mode_bm25": "BM25（語句）",
    },
    "en": {
        "title": "Trade-policy QA assistant",
        "intro": "Ask about Japan's 2021 trade-policy document, in English or Japanese. "
                 "Answers cite their sources as [n]; each quote is shown inside its slide.",
        "chatbot": "Conversation", "placeholder": "Type a question (English / 日本語)",
        "settings": "Settings", "mode": "Retrieval mode", "k": "Passages to use (k)",
        "answerer": "Answerer", "viewer": "Source viewer", "slide": "Choose a slide",
        "viewer_hint": "Pick a slide to read all of it.",
        "sources": "Sources", "closest": "Closest passages (for reference)", "rank": "rank",
        "score": "score", "open_slide": "Open the whole slide", "passages_n": "{n} passages",
        "not_covered": "Not covered", "searching": "Searching the document…",
        "loading": "Getting ready ({what}, {s} s so far)…", "empty": "Please type a question.",
        "error": "Error: {msg}", "internal": "Internal error (details in the server log).",
        "notice": "Note", "stopped": "(Stopped.)",
        "show_all": "Show all ({n:,} characters)", "show_less": "Show less",
        "truncated": "Your question was {n:,} characters long; only the first {max:,} were used.",
        "copy": "Copy with sources", "copied": "Copied", "copy_sources": "Sources",
        "feedback_up": "👍 Thank you.", "feedback_down": "👎 Noted.",
        "feedback_hint": "Comment (optional): what was missing, or what the right answer is",
        "feedback_send": "Send comment", "feedback_saved": "Comment saved.",
        "feedback_off": "Feedback is not recorded here.", "feedback_gone": "This answer is no longer "
                                                                          "known (the server restarted).",
        "starting": "Getting ready…", "stage_wait": "starting",
        "stage_index": "building the index (first run only)",
        "stage_load": "loading the index", "stage_warm": "loading the embedding model",
        "ready": "✔ Ready: searching {n} passages on {s} slides.", "started": " (Started in {t:.1f} s.)",
        "failed": "✖ Loading failed: {msg}",
        "extractive": "Extractive (offline): quotes the document's own sentences. No server needed.",
        "reachable": "✔ {name}: {msg}",
        "unreachable": "⚠ {name}: {msg} — while it is unreachable, answers come from the "
                       "extractive answerer.",
        "not_configured": "(No LLM configured: use `--llm openai|ollama` with QA_LLM_MODEL / "
                          "QA_LLM_BASE_URL.)",
        "mode_hybrid": "Hybrid", "mode_dense": "Dense (vectors)", "mode_bm25": "BM25 (words)",
    },
}


def ui_language(value: str | None) -> str:
    """``ja`` or ``en`` from a switch label (日本語 / English) or a code."""
    if value in TEXT:
        return value  # type: ignore[return-value]
    return UI_LANGUAGES.get(value or "", "ja")


def labels(lang: str) -> dict[str, str]:
    return TEXT[ui_language(lang)]


def mode_choices(lang: str) -> list[tuple[str, str]]:
    t = labels(lang)
    return [(t[f"mode_{m}"], m) for m in MODES]


def language_label(lang: str) -> str:
    """The switch label (日本語 / English) of a language code."""
    return next(label for label, code in UI_LANGUAGES.items() if code == ui_language(lang))


def browser_language(accept_language: str | None) -> str:
    """``en`` when the browser's preferred language (the highest-weighted entry of an
    Accept-Language header) is English, else ``ja``."""
    best, best_q = "", -1.0
    for item in (accept_language or "").split(","):
        tag, _, params = item.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and q > best_q:
            best, best_q = tag.strip().lower(), q
    return "en" if best.split("-")[0] == "en" else "ja"
