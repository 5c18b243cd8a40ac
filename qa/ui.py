"""Chat UI logic, testable without a browser: the streaming chat function, HTML rendering of
answers (citations with the quoted words in <mark>, abstentions, the slide viewer) and the
handlers behind the HTTP API. ``app.py`` wires these into Gradio; nothing here imports it.

Document text and questions are untrusted: everything shown is HTML-escaped here.
"""

from __future__ import annotations

import functools
import html
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from qa.questions import message_text
from qa.records import Answer, Citation, Hit, Passage

MODES = ("hybrid", "dense", "bm25")
UI_LANGUAGES = {"日本語": "ja", "English": "en"}
MAX_K = 20
PROBE_TTL_S = 15.0

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
        "loading": "準備中です（{what}、{s:.0f} 秒経過）…", "empty": "質問を入力してください。",
        "error": "エラー: {msg}", "internal": "内部エラーが発生しました（詳細はサーバーのログ）。",
        "notice": "注意",
        "stage_wait": "起動中", "stage_index": "索引を作成中（初回のみ）",
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
        "loading": "Getting ready ({what}, {s:.0f} s so far)…", "empty": "Please type a question.",
        "error": "Error: {msg}", "internal": "Internal error (details in the server log).",
        "notice": "Note",
        "stage_wait": "starting", "stage_index": "building the index (first run only)",
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


# --- rendering (pure functions) --------------------------------------------------------

_REF = re.compile(r"\[(\d{1,2})\]")
_ANSWER_DIV = re.compile(r'<div class="qa-answer">(.*?)</div>', re.S)
_TAG = re.compile(r"<[^>]+>")


def esc(text: str) -> str:
    """HTML-escaped text; carriage returns dropped so no blank line can end the HTML block
    the chat message is (Markdown would then format the rest)."""
    return html.escape(text.replace("\r", ""), quote=True)


def source_html(raw: str, marks: list[tuple[int, int]] = ()) -> str:
    """Escaped HTML of verbatim source text: mid-word line breaks joined, other breaks as
    <br>, and the characters at ``marks`` (offsets into ``raw``) inside <mark>."""
    from qa.chunking import join_with_map

    clean, where = join_with_map(raw)
    out: list[str] = []
    inside = False
    for ch, w in zip(clean, where):
        hit = any(a <= w < b for a, b in marks)
        if hit != inside:
            out.append("<mark>" if hit else "</mark>")
            inside = hit
        out.append("<br>" if ch == "\n" else esc(ch))
    if inside:
        out.append("</mark>")
    return "".join(out)


def answer_html(text: str) -> str:
    """The answer text, escaped, with citation numbers [n] styled."""
    body = esc(text.strip()).replace("\n", "<br>")  # no blank lines: the message stays one HTML block
    return _REF.sub(r'<span class="qa-ref">[\1]</span>', body)


def render_pending(text: str, note: str = "") -> str:
    """A message while the answer streams in (or while waiting for it)."""
    parts = [f'<div class="qa-answer">{answer_html(text)}</div>'] if text else []
    if note:
        parts.append(f'<div class="qa-meta">{esc(note)}</div>')
    return "\n".join(parts)


def render_error(message: str) -> str:
    return f'<div class="qa-error">{esc(message)}</div>'


def _marks_in(passage: Passage | Hit, citations: list[Citation]) -> list[tuple[int, int]]:
    return [(c.start - passage.start, c.end - passage.start) for c in citations
            if passage.start <= c.start and c.end <= passage.end]


def slide_html(section: str, passages: list[Passage], citations: list[Citation], lang: str) -> str:
    """All passages of one slide, in order, with the cited quotes highlighted."""
    if not passages:
        return ""
    cited = {c.id for c in citations}
    paras = []
    for p in passages:
        cls = "qa-slide-p qa-cited" if p.id in cited else "qa-slide-p"
        paras.append(f'<p class="{cls}">{source_html(p.text, _marks_in(p, citations))}</p>')
    head = f'<div class="qa-slide-head"><b>{esc(section)}</b> {esc(passages[0].title)}</div>'
    return f'<div class="qa-slide">{head}{"".join(paras)}</div>'


def _card(head: str, hit: Hit | None, body: str, slide: str, lang: str, n_slide: int) -> str:
    t = labels(lang)
    meta = (f'<span class="qa-meta">{t["rank"]} {hit.rank} · {t["score"]} {hit.score:.4f}</span>'
            if hit else "")
    viewer = (f'<details class="qa-open"><summary>{t["open_slide"]}'
              f' ({t["passages_n"].format(n=n_slide)})</summary>{slide}</details>') if slide else ""
    return (f'<div class="qa-card"><div class="qa-card-head">{head} {meta}</div>'
            f'<div class="qa-passage">{body}</div>{viewer}</div>')


def _section_title(section: str, title: str) -> str:
    return f'<b class="qa-sec">{esc(section)}</b> <span class="qa-title">{esc(title)}</span>'


def render_answer(answer: Answer, lang: str, retriever=None) -> str:
    """The final chat message: the answer, then its citations (or, for an abstention, the
    closest passages), each with its section, title, rank, score and whole-slide viewer."""
    t = labels(lang)
    hits = {h.id: h for h in answer.passages}
    slides: dict[str, list[Passage]] = {}

    def slide_of(section: str) -> tuple[str, int]:
        if retriever is None:
            return "", 0
        if section not in slides:
            slides[section] = retriever.section_passages(section)
        return slide_html(section, slides[section], answer.citations, lang), len(slides[section])

    cards = []
    if answer.abstained:
        head = (f'<div class="qa-answer-wrap qa-abstained"><span class="qa-badge">'
                f'{t["not_covered"]}</span> <div class="qa-answer">{answer_html(answer.answer)}</div></div>')
        title = t["closest"]
        for h in answer.passages:
            slide, n = slide_of(h.section)
            cards.append(_card(_section_title(h.section, h.title), h, source_html(h.text), slide, lang, n))
    else:
        head = f'<div class="qa-answer">{answer_html(answer.answer)}</div>'
        title = t["sources"]
        for c in answer.citations:
            hit = hits.get(c.id)
            source = (retriever.by_id.get(c.id) if retriever is not None else None) or hit
            text, start = (source.text, source.start) if source else (c.quote, c.start)
            body = source_html(text, [(c.start - start, c.end - start)])
            slide, n = slide_of(c.section)
            label = f'<span class="qa-ref">[{c.n}]</span> {_section_title(c.section, c.title)}'
            cards.append(_card(label, hit, body, slide, lang, n))
    parts = [head]
    if answer.notice:
        parts.append(f'<div class="qa-notice">{t["notice"]}: {esc(answer.notice)}</div>')
    if cards:
        parts.append(f'<div class="qa-sources"><div class="qa-h">{title}</div>{"".join(cards)}</div>')
    total = answer.timings.get("total_ms")
    seconds = f" · {total / 1000:.2f} s" if total is not None else ""
    parts.append(f'<div class="qa-meta">{esc(answer.backend)}{seconds}</div>')
    return "\n".join(parts)


# --- history -----------------------------------------------------------------------------


def plain_answer(message: str) -> str:
    """The answer text inside a rendered message (its citations and markup dropped)."""
    m = _ANSWER_DIV.search(message)
    body = m.group(1) if m else message
    return html.unescape(_TAG.sub("", body.replace("<br>", "\n"))).strip()


def history_pairs(history) -> list[tuple[str, str]]:
    """Gradio chat history (messages or pairs) as (question, plain answer) pairs."""
    pairs: list[tuple[str, str]] = []
    pending: str | None = None
    for item in history or []:
        if isinstance(item, dict):
            text = message_text(item.get("content"))
            if item.get("role") == "user":
                pending = text if pending is None else f"{pending} {text}"
            elif item.get("role") == "assistant" and pending is not None and not item.get("metadata"):
                pairs.append((pending, plain_answer(text)))
                pending = None
        elif isinstance(item, list | tuple) and len(item) == 2:
            pairs.append((message_text(item[0]), plain_answer(message_text(item[1]))))
    return pairs


# --- the service: one Assistant per process, and the UI's handlers ----------------------


class LoadError(RuntimeError):
    """The assistant could not be loaded (message says why)."""


def log(message: str) -> None:
    print(f"[qa chat] {message}", file=sys.stderr, flush=True)


def load_assistant(index_dir: str | Path | None = None, llm: str | None = None,
                   report: Callable[[str, str], None] = lambda stage, detail: None):
    """Load the index (building it first if missing or stale) and warm the model up."""
    from qa.chain import Assistant
    from qa.indexing import IndexLoadError

    report("load", "")
    try:
        assistant = Assistant.load(index_dir=index_dir, llm=llm)
    except IndexLoadError as exc:
        from qa.config import Config
        from qa.embedding import SentenceTransformerEmbedder
        from qa.indexing import build_index
        from qa.retrieving import Retriever

        report("index", str(exc))
        cfg = Config.from_env(index_dir=Path(index_dir) if index_dir else None, llm=llm)
        embedder = SentenceTransformerEmbedder(cfg.model)
        build_index(cfg.corpus_dir, cfg.index_dir, embedder, progress=True)
        retriever = Retriever.load(index_dir=cfg.index_dir, embedder=embedder)
        report("load", "")
        assistant = Assistant.load(index_dir=cfg.index_dir, llm=cfg.llm, retriever=retriever)
    report("warm", "")
    assistant.warm_up()
    return assistant


@functools.cache
def shared_assistant(index_dir: str | None = None, llm: str | None = None):
    """The process's one Assistant for these settings, loaded on first use."""
    return load_assistant(index_dir, llm, lambda stage, detail: log(TEXT["en"][f"stage_{stage}"] + "…"))


@dataclass
class Probe:
    ok: bool
    message: str
    at: float


class ChatService:
    """Holds the process's one Assistant (loaded once, before the first question, possibly in
    a background thread so the page can show progress) and answers for the UI and the API."""

    def __init__(self, loader: Callable[[Callable[[str, str], None]], object] | None = None,
                 assistant=None, config=None, make_variant: Callable | None = None,
                 probe: Callable | None = None):
        self._loader = loader
        self.config = config if config is not None else getattr(assistant, "config", None)
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._variants: dict[str, object] = {}
        self._probes: dict[str, Probe] = {}
        self._make_variant = make_variant or _variant
        self._probe = probe
        self.t0 = time.perf_counter()
        self.stage, self.error, self.ready_s = "wait", "", 0.0
        self.assistant = assistant
        if assistant is not None:
            self._variants[assistant.backend] = assistant
            self._ready.set()

    # loading
    def start(self, background: bool = True) -> ChatService:
        """Load the assistant (once); in a daemon thread unless ``background`` is False."""
        if self._ready.is_set() or self._loader is None:
            return self
        if background:
            threading.Thread(target=self._load, name="qa-load", daemon=True).start()
        else:
            self._load()
        return self

    def _report(self, stage: str, detail: str) -> None:
        self.stage = stage
        what = TEXT["en"][f"stage_{stage}"]
        log(f"{what}… ({time.perf_counter() - self.t0:.1f} s){': ' + detail if detail else ''}")

    def _load(self) -> None:
        try:
            assistant = self._loader(self._report)
        except Exception as exc:  # noqa: BLE001 - shown in the page and the terminal
            self.error = str(exc) or type(exc).__name__
            log(f"loading failed: {self.error}")
        else:
            self.assistant = assistant
            self.config = self.config or assistant.config
            self._variants[assistant.backend] = assistant
            self.ready_s = time.perf_counter() - self.t0
            n = len(assistant.retriever.passages)
            log(f"ready: {n} passages, answerer {assistant.backend} ({self.ready_s:.1f} s)")
        finally:
            self._ready.set()

    @property
    def ready(self) -> bool:
        return self._ready.is_set() and self.assistant is not None

    def wait(self, timeout: float | None = None):
        """The loaded assistant; raises LoadError if loading failed or timed out."""
        if not self._ready.wait(timeout):
            raise LoadError(f"the assistant is still loading ({self.stage})")
        if self.assistant is None:
            raise LoadError(self.error or "the assistant was not loaded")
        return self.assistant

    def status(self, lang: str) -> str:
        t = labels(lang)
        if self.error:
            return t["failed"].format(msg=esc(self.error))
        if not self.ready:
            return t["loading"].format(what=t[f"stage_{self.stage}"],
                                               s=time.perf_counter() - self.t0)
        r = self.assistant.retriever
        started = t["started"].format(t=self.ready_s) if self.ready_s else ""
        return t["ready"].format(n=len(r.passages), s=len(self.sections())) + started

    # answerers
    def answerers(self) -> list[str]:
        """extractive, plus the LLM server backend when one is configured."""
        configured = getattr(self.config, "llm", "extractive")
        return ["extractive"] + ([configured] if configured in ("openai", "ollama") else [])

    def default_answerer(self) -> str:
        return self.answerers()[-1]

    def assistant_for(self, backend: str | None):
        base = self.wait(0)
        backend = backend or base.backend
        if backend not in self.answerers():
            raise ValueError(f"unknown answerer {backend!r}: choose one of {', '.join(self.answerers())}")
        with self._lock:
            if backend not in self._variants:
                self._variants[backend] = self._make_variant(base, backend)
            return self._variants[backend]

    def answerer_status(self, backend: str | None, lang: str) -> str:
        """Which answerer is active and, for an LLM server, whether it is reachable."""
        t = labels(lang)
        backend = backend or self.default_answerer()
        if backend == "extractive":
            extra = "" if len(self.answerers()) > 1 else " " + t["not_configured"]
            return t["extractive"] + extra
        probe = self._probes.get(backend)
        if probe is None or time.monotonic() - probe.at > PROBE_TTL_S:
            ok, message = (self._probe or probe_llm)(self.config, backend)
            probe = self._probes[backend] = Probe(ok, message, time.monotonic())
        return t["reachable" if probe.ok else "unreachable"].format(name=backend, msg=esc(probe.message))

    # slides
    def sections(self) -> list[tuple[str, str]]:
        """(section, title) of every slide, in document order."""
        if not self.ready:
            return []
        seen: dict[str, str] = {}
        for p in self.assistant.retriever.passages:
            seen.setdefault(p.section, p.title)
        return list(seen.items())

    def slide(self, section: str | None, lang: str) -> str:
        if not section or not self.ready:
            return f'<div class="qa-meta">{esc(labels(lang)["viewer_hint"])}</div>'
        return slide_html(section, self.assistant.retriever.section_passages(section), [], lang)

    # the chat function
    def respond(self, message, history, ui_lang: str = "日本語", mode: str = "hybrid",
                k: float = 5, answerer: str | None = None) -> Iterator[str]:
        """Gradio's chat function: yields the whole message so far, growing as the answer
        streams, and finally the answer with its citations."""
        lang = ui_language(ui_lang)
        t = labels(lang)
        question = message_text(message).strip()
        if not question:
            yield render_error(t["empty"])
            return
        while not self._ready.wait(0.5):
            yield render_pending("", t["loading"].format(what=t[f"stage_{self.stage}"],
                                                         s=time.perf_counter() - self.t0))
        yield render_pending("", t["searching"])
        try:
            assistant = self.assistant_for(answerer)
            text = ""
            for item in assistant.stream(question, history_pairs(history), k=_k(k), mode=_mode(mode)):
                if isinstance(item, Answer):
                    yield render_answer(item, lang, assistant.retriever)
                    return
                text += item
                yield render_pending(text)
        except (ValueError, RuntimeError) as exc:  # user errors: bad question, mode, server
            yield render_error(t["error"].format(msg=str(exc)))
        except Exception:  # noqa: BLE001 - keep the chat alive; the terminal gets the traceback
            traceback.print_exc()
            yield render_error(t["internal"])

    # API handlers
    def ask(self, question: str, k: int = 5, mode: str = "hybrid", answerer: str | None = None,
            history=None, timeout: float = 300.0) -> dict:
        """The answer as ``qa ask --json`` prints it."""
        self.wait(timeout)
        assistant = self.assistant_for(answerer)
        return assistant.ask(question, history_pairs(history), k=_k(k), mode=_mode(mode)).to_dict()

    def search(self, query: str, k: int = 5, mode: str = "hybrid", timeout: float = 300.0) -> list[dict]:
        """The top-k passages as ``qa search --json`` prints them."""
        assistant = self.wait(timeout)
        return [h.to_dict() for h in assistant.retriever.search(query, k=_k(k), mode=_mode(mode))]


def _k(k) -> int:
    try:
        value = int(k)
    except (TypeError, ValueError):
        raise ValueError(f"k must be a whole number, not {k!r}") from None
    if not 1 <= value <= MAX_K:
        raise ValueError(f"k must be between 1 and {MAX_K}, not {value}")
    return value


def _mode(mode: str | None) -> str:
    mode = mode or "hybrid"
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: choose one of {', '.join(MODES)}")
    return mode


def _variant(base, backend: str):
    """The same loaded retriever behind another answerer."""
    from qa.chain import Assistant

    return Assistant(base.retriever, llm=backend, config=base.config, k=base.k, mode=base.mode)


def probe_llm(config, backend: str) -> tuple[bool, str]:
    """Whether the configured LLM server answers (via ``qa.llm.probe``); never raises."""
    from dataclasses import replace

    try:
        from qa import llm
    except ImportError:
        return False, "LLM support is not installed (qa.llm is missing)"
    try:
        settings = llm.LLMSettings.from_config(replace(config, llm=backend))
    except Exception as exc:  # noqa: BLE001 - a configuration problem, shown as is
        return False, str(exc)
    return llm.probe(settings, timeout_s=2.0)
