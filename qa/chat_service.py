"""The chat service behind the UI and its HTTP API: one Assistant per process, its requests.

It loads the Assistant once (building a missing index first), checks requests, streams answers
as HTML and probes the LLM server. Testable without a browser; ``qa.web`` wires it into Gradio.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from qa.config import LLM_BACKENDS, check_backend, check_mode
from qa.errors import BackendError, IndexLoadError, LLMError, LoadError, OptionError, UserError
from qa.questions import message_text, normalise_history
from qa.records import Answer
from qa.render import (
    esc,
    plain_answer,
    plain_question,
    render_answer,
    render_error,
    render_pending,
    slide_html,
)
from qa.replies import Replies, Reply
from qa.segmenting import release_dictionary_pages
from qa.ui_text import TEXT, labels, ui_language

MAX_K = 10  # passages per question: the UI's slider and every request check share this limit
PROBE_TTL_S = 15.0


def log(message: str) -> None:
    print(f"[qa chat] {message}", file=sys.stderr, flush=True)


def load_assistant(index_dir: str | Path | None = None, llm: str | None = None,
                   report: Callable[[str, str], None] = lambda stage, detail: None):
    """Load the index (building it first if missing or stale) and warm the model up."""
    from qa.chain import Assistant

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
        build_index(cfg.corpus_dir, cfg.index_dir, SentenceTransformerEmbedder(cfg.model), progress=True)
        retriever = Retriever.load(index_dir=cfg.index_dir)  # queries: the engine load_embedder picks
        report("load", "")
        assistant = Assistant.load(index_dir=cfg.index_dir, llm=cfg.llm, retriever=retriever)
    report("warm", "")
    assistant.warm_up()
    release_dictionary_pages()  # the warm-up tokenized every line once; their terms are kept
    return assistant


def start_service(index_dir: str | Path | None = None, llm: str | None = None,
                  feedback: bool = True, head_start_s: float = 0.0) -> ChatService:
    """The chat's ``ChatService``, loading in a thread given ``head_start_s`` to end before Gradio's
    import competes for the interpreter (an index build goes on behind the page's status line)."""
    from qa.config import Config
    from qa.feedback import FeedbackLog

    config = Config.from_env(index_dir=index_dir, llm=llm)
    votes = FeedbackLog(config.feedback_dir, config.secrets) if feedback else None
    loader = functools.partial(load_assistant, config.index_dir, config.llm)
    service = ChatService(loader, config=config, feedback=votes).start()
    with contextlib.suppress(LoadError):  # still loading, or failed: serve() reports it
        service.wait(head_start_s)
    return service


def history_pairs(history) -> list[tuple[str, str]]:
    """Gradio chat history (messages or pairs) as (question as typed, plain answer) pairs."""
    return [(plain_question(q), a) for q, a in normalise_history(history, plain_answer)]


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
                 probe: Callable | None = None, feedback=None):
        self._loader = loader
        self.feedback = feedback  # a qa.feedback.FeedbackLog, or None: votes are not recorded
        self.replies = Replies()  # answers shown, for feedback and relabelling
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
        except UserError as exc:  # shown in the page and the terminal
            self.error = str(exc)
            log(f"loading failed: {self.error}")
        except Exception:  # noqa: BLE001 - a bug: the terminal gets the traceback
            traceback.print_exc()
            self.error = "internal error while loading (details in the server log)"
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
            return self._loading(lang)
        r = self.assistant.retriever
        started = t["started"].format(t=self.ready_s) if self.ready_s else ""
        return t["ready"].format(n=len(r.passages), s=len(self.sections())) + started

    def _loading(self, lang: str) -> str:
        """The loading line; the page's script keeps its seconds counting between updates."""
        t, s = labels(lang), time.perf_counter() - self.t0
        return t["loading"].format(what=t[f"stage_{self.stage}"],
                                   s=f'<span class="qa-elapsed">{s:.0f}</span>')

    # answerers
    def answerers(self) -> list[str]:
        """extractive, plus the LLM server backend when one is configured."""
        configured = getattr(self.config, "llm", "extractive")
        return ["extractive"] + ([configured] if configured in LLM_BACKENDS else [])

    def default_answerer(self) -> str:
        return self.answerers()[-1]

    def assistant_for(self, backend: str | None):
        base = self.wait(0)
        backend = backend or base.backend
        if check_backend(backend) not in self.answerers():
            raise BackendError(f"answerer {backend!r} is not configured here: choose one of "
                               f"{', '.join(self.answerers())}")
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
        """(``document/section``, title) of every slide, page or section, in corpus order."""
        if not self.ready:
            return []
        seen: dict[str, str] = {}
        for p in self.assistant.retriever.passages:
            seen.setdefault(f"{p.document}/{p.section}" if p.document else p.section, p.title)
        return list(seen.items())

    def slide(self, section: str | None, lang: str) -> str:
        """The passages of ``document/section`` (or a bare section id) for the source viewer."""
        if not section or not self.ready:
            return f'<div class="qa-meta">{esc(labels(lang)["viewer_hint"])}</div>'
        document, _, sec = section.rpartition("/")
        passages = self.assistant.retriever.section_passages(sec, document or None)
        return slide_html(section, passages, [], lang)

    # adding documents (the upload panel, only with --allow-upload)
    def add_documents(self, files: list[tuple[str | Path, str]]) -> str:
        """Check, copy in and index (path, original name) uploads, then answer from the new index;
        one line saying what was added, or why nothing was (the index is then unchanged)."""
        from qa.adding import add_documents
        from qa.chain import Assistant
        from qa.retrieving import Retriever

        if not files:
            return "No file given."
        base = self.wait(0)
        try:
            with self._lock:
                embedder = base.retriever.embedder
                cfg = base.config
                _, changes = add_documents([(Path(p), Path(n).name) for p, n in files], cfg.corpus_dir,
                                           cfg.index_dir, embedder)
                retriever = Retriever.load(index_dir=cfg.index_dir, embedder=embedder,
                                           corpus_dir=cfg.corpus_dir)
                fresh = Assistant(retriever, base.backend, cfg, base.k, base.mode)
                self.assistant, self._variants = fresh, {fresh.backend: fresh}
        except UserError as exc:
            return f"Not added: {exc}"
        return f"Added: {changes.summary()}. {len(retriever.passages)} passages are searched now."

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
            yield f'<div class="qa-meta">{self._loading(lang)}</div>'
        yield render_pending("", t["searching"])
        try:
            assistant = self.assistant_for(answerer)
            k, mode = _k(k), check_mode(mode)
            text = ""
            for item in assistant.stream(question, history_pairs(history), k=k, mode=mode):
                if isinstance(item, Answer):
                    settings = {"mode": mode, "k": k, "answerer": assistant.backend}
                    rid = self.replies.remember(Reply(item, message_text(message), settings))
                    yield render_answer(item, lang, assistant.retriever, rid, message_text(message))
                    return
                text += item
                yield render_pending(text)
        except UserError as exc:  # bad question, k or mode; still loading; a dead server
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
        return assistant.ask(question, history_pairs(history), k=_k(k), mode=check_mode(mode)).to_dict()

    def stream(self, question: str, k: int = 5, mode: str = "hybrid", answerer: str | None = None,
               history=None, timeout: float = 300.0) -> Iterator[str | Answer]:
        """The answer's text pieces, then the ``Answer``; a bad request raises here, before
        the first piece."""
        self.wait(timeout)
        assistant = self.assistant_for(answerer)
        return assistant.stream(question, history_pairs(history), k=_k(k), mode=check_mode(mode))

    def search(self, query: str, k: int = 5, mode: str = "hybrid", timeout: float = 300.0) -> list[dict]:
        """The top-k passages as ``qa search --json`` prints them."""
        assistant = self.wait(timeout)
        return [h.to_dict() for h in assistant.retriever.search(query, k=_k(k), mode=check_mode(mode))]


def _k(k) -> int:
    try:
        value = int(k)
    except (TypeError, ValueError):
        raise OptionError(f"k must be a whole number, not {k!r}") from None
    if not 1 <= value <= MAX_K:
        raise OptionError(f"k must be between 1 and {MAX_K}, not {value}")
    return value


def _variant(base, backend: str):
    """The same loaded retriever behind another answerer."""
    from qa.chain import Assistant

    return Assistant(base.retriever, llm=backend, config=base.config, k=base.k, mode=base.mode)


def probe_llm(config, backend: str) -> tuple[bool, str]:
    """Whether the configured LLM server answers (via ``qa.llm.probe``); never raises."""
    from dataclasses import replace

    from qa import llm

    try:
        settings = llm.LLMSettings.from_config(replace(config, llm=backend))
    except LLMError as exc:  # a configuration problem, shown as is
        return False, str(exc)
    return llm.probe(settings, timeout_s=2.0)
