"""The chat page: Gradio Blocks wired to ``ChatService``, plus ``serve`` for ``qa chat``.

Run ``qa chat`` (or ``python app.py``). The page is served at once and shows a status
line while the model loads; the Assistant is loaded once per process, never per request.
Programs call the ``/ask`` and ``/search`` endpoints with ``gradio_client``, the OpenAI-compatible
``/v1`` routes or the MCP tools at ``/mcp`` (``api_options``). Gradio is imported
with this module (only ``qa chat`` imports it), so its event data types resolve in handlers.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import gradio as gr

from qa.chat_service import MAX_K, ChatService, log, start_service
from qa.errors import LoadError, UserError
from qa.page_assets import CSS, JS
from qa.questions import message_text
from qa.render import plain_question, reply_id, user_html
from qa.ui_text import (
    EXAMPLES,
    UI_LANGUAGES,
    browser_language,
    labels,
    language_label,
    mode_choices,
    ui_language,
)

CONCURRENCY = 4  # questions answered at once; more wait in Gradio's queue
QUEUE_MAX = 64


def launch_options() -> dict:
    """``launch()`` keywords for the look and the page script (Gradio 6 takes theme, css and js
    there). Local fonts only: the page must work offline and show Japanese with the system's
    CJK font. No footer: Gradio's footer follows the browser's language, not the switch."""
    fonts = ["ui-sans-serif", "system-ui", "Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic",
             "Meiryo", "sans-serif"]
    theme = gr.themes.Soft(font=fonts, font_mono=["ui-monospace", "Noto Sans Mono CJK JP", "monospace"])
    return {"theme": theme, "css": CSS, "js": JS, "ssr_mode": False, "footer_links": []}


def api_options(service: ChatService, host: str, share: bool = False) -> dict:
    """``launch()`` keywords that add the programs' API (OpenAI-compatible ``/v1`` and MCP
    ``/mcp``, see ``qa.api_routes``) to Gradio's app, guarded by ``QA_API_KEY``."""
    from qa.api_routes import api_lifespan

    key = getattr(service.config, "server_key", "")
    return {"app_kwargs": {"lifespan": api_lifespan(service, host, key, share)}}


def build_demo(service: ChatService, lang: str = "ja", allow_upload: bool = False):
    """The Blocks app around ``service`` (which may still be loading). The page opens in
    ``lang``, then in the browser's language (Accept-Language) once it has loaded. With
    ``allow_upload``, a panel adds .txt/.md/.pdf documents to the corpus (checked as ``qa add``)."""
    t = labels(lang)
    answerers = service.answerers()
    quiet = {"api_visibility": "private", "show_progress": "hidden"}
    with gr.Blocks(title="Trade-policy QA / 通商政策QA", analytics_enabled=False) as demo:
        with gr.Row():
            with gr.Column(scale=4):
                header = gr.Markdown(_header(t), elem_id="qa-header")
                settled = service.ready or service.error  # else no seconds baked in: they would be stale
                status = gr.Markdown(service.status(lang) if settled else t["starting"], elem_id="qa-status")
            ui_lang = gr.Radio(list(UI_LANGUAGES), value=language_label(lang), label="表示言語 / UI language",
                               scale=0, min_width=220, elem_id="qa-ui-lang")
        timer = gr.Timer(1.0, active=not service.ready)
        with gr.Row():
            chat_column = gr.Column(scale=3, min_width=420)
            with gr.Column(scale=1, min_width=280):
                with gr.Accordion(t["settings"], open=True) as settings:
                    mode = gr.Radio(mode_choices(lang), value="hybrid", label=t["mode"], elem_id="qa-mode")
                    k = gr.Slider(1, MAX_K, value=5, step=1, label=t["k"], elem_id="qa-k")
                    answerer = gr.Radio(answerers, value=service.default_answerer(), label=t["answerer"],
                                        elem_id="qa-answerer")
                    answerer_status = gr.Markdown(elem_id="qa-answerer-status")
                with gr.Accordion(t["viewer"], open=False) as viewer:
                    slide_pick = gr.Dropdown(_slide_choices(service), value=None, label=t["slide"],
                                             elem_id="qa-slide-pick")
                    slide_view = gr.HTML(service.slide(None, lang), elem_id="qa-slide-view")
                if allow_upload:
                    with gr.Accordion("文書を追加 / Add documents", open=False):
                        upload = gr.File(file_count="multiple", file_types=[".txt", ".md", ".pdf"],
                                         label=".txt .md .pdf", elem_id="qa-upload")
                        upload_result = gr.Markdown(elem_id="qa-upload-result")
                    upload.upload(_added(service), upload, upload_result, api_visibility="private")
        with chat_column:
            chatbot = gr.Chatbot(label=t["chatbot"], show_label=False, height=640, latex_delimiters=[],
                                 elem_id="qa-chatbot", buttons=[], autoscroll=False,
                                 examples=[{"text": q} for q in EXAMPLES])
            textbox = gr.Textbox(placeholder=t["placeholder"], show_label=False, submit_btn=True,
                                 stop_btn=False, autofocus=True, elem_id="qa-input")
            with gr.Row(visible=False, elem_id="qa-feedback") as comment_row:
                comment = gr.Textbox(placeholder=t["feedback_hint"], show_label=False, scale=4,
                                     max_length=2000, elem_id="qa-comment")
                comment_send = gr.Button(t["feedback_send"], scale=1, elem_id="qa-comment-send")
            feedback_note = gr.Markdown(visible=False, elem_id="qa-feedback-note")
        voted = gr.State(None)  # (reply id, liked) of the last vote, for its comment

        def take(text: str, history: list, ui_value: str):
            """A sent question joins the chat at once, as typed; a blank one, or one sent while
            an answer is still coming, is not sent (it stays in the box)."""
            if not (text or "").strip() or not _settled(history):
                return gr.skip(), gr.skip()
            shown = {"role": "user", "content": user_html(text, ui_language(ui_value))}
            return gr.Textbox(value="", submit_btn=False, stop_btn=True), [*history, shown]

        def answer(history: list, ui_value, mode_value, k_value, backend):
            """Stream the answer to the question the chat ends with (none: nothing to do)."""
            if not history or history[-1].get("role") != "user":
                yield gr.skip()
                return
            question = plain_question(message_text(history[-1].get("content")))
            for message in service.respond(question, history[:-1], ui_value, mode_value, k_value, backend):
                yield [*history, {"role": "assistant", "content": message}]

        def done(history: list):
            return gr.Textbox(submit_btn=True, stop_btn=False) if _settled(history) else gr.skip()

        def stopped(history: list, ui_value: str):
            """The answer being written is cut off where it was, and marked so."""
            if history and not _settled(history):
                note = f'<div class="qa-stopped qa-meta">{labels(ui_language(ui_value))["stopped"]}</div>'
                if history[-1].get("role") == "assistant":  # keep what was written so far
                    note = message_text(history[-1].get("content")) + note
                    history = history[:-1]
                history = [*history, {"role": "assistant", "content": note}]
            return gr.Textbox(submit_btn=True, stop_btn=False), history

        def pick(history: list, ui_value: str, example: gr.SelectData):
            return take(message_text(example.value), history, ui_value)

        runs = []  # "multiple": a send right after a blank one must not be dropped as a repeat
        every = {**quiet, "trigger_mode": "multiple"}
        for trigger, fn, inputs in ((textbox.submit, take, [textbox, chatbot, ui_lang]),
                                    (chatbot.example_select, pick, [chatbot, ui_lang])):
            shown = trigger(fn, inputs, [textbox, chatbot], queue=False, **every)
            runs.append(shown.then(answer, [chatbot, ui_lang, mode, k, answerer], chatbot, **every))
            runs[-1].then(done, chatbot, textbox, **every)
        textbox.stop(stopped, [chatbot, ui_lang], [textbox, chatbot], cancels=runs, **quiet)

        if service.feedback is not None:
            def like(history: list, ui_value: str, data: gr.LikeData):
                rid = reply_id(message_text(data.value)) or _reply_at(history, data.index)
                note = service.replies.vote(service.feedback, rid, data.liked, ui_language(ui_value))
                rated = data.liked is True or data.liked is False
                return ((rid, data.liked) if rated else None, gr.Markdown(note, visible=bool(note)),
                        gr.Row(visible=rated), "")

            def send_comment(text: str, vote, ui_value: str):
                if not vote or not (text or "").strip():
                    return gr.skip(), gr.skip(), gr.skip()
                note = service.replies.vote(service.feedback, *vote, ui_language(ui_value), text)
                return gr.Markdown(note, visible=True), gr.Row(visible=False), ""

            chatbot.like(like, [chatbot, ui_lang], [voted, feedback_note, comment_row, comment], **quiet)
            for trigger in (comment.submit, comment_send.click):
                trigger(send_comment, [comment, voted, ui_lang], [feedback_note, comment_row, comment],
                        **quiet)

        def ask(question: str, k: int = 5, mode: str = "hybrid", answerer: str = "",
                history: list[list[str]] | None = None) -> dict:
            """Answer a Japanese or English question; the Answer as `qa ask --json` prints it:
            question, language, answer, abstained, citations, passages, timings, backend, notice."""
            with _api_errors():
                return service.ask(question, k, mode, answerer or None, history)

        def search(query: str, k: int = 5, mode: str = "hybrid") -> list[dict]:
            """The top-k passages (id, section, title, text, score, start, end, rank)."""
            with _api_errors():
                return service.search(query, k, mode)

        def chat(message: str, language: str = "日本語", mode: str = "hybrid", k: int = 5,
                 answerer: str = "") -> Iterator[str]:
            """The chat page's messages for one question: status lines, the growing answer,
            then the answer with its cited passages, as HTML."""
            yield from service.respond(message, [], language, mode, k, answerer or None)

        gr.api(ask, api_name="ask")
        gr.api(search, api_name="search")
        gr.api(chat, api_name="chat", api_visibility="undocumented")

        def refresh(ui_value, backend):
            lang = ui_language(ui_value)
            ready = service.ready or bool(service.error)
            return (service.status(lang), gr.Timer(active=not ready),
                    gr.Radio(choices=service.answerers(), value=backend or service.default_answerer()),
                    service.answerer_status(backend, lang),
                    gr.Dropdown(choices=_slide_choices(service)))

        def opened(backend, request: gr.Request):
            """The page in the browser's language, with the current status."""
            lang = browser_language(request.headers.get("accept-language") if request else None)
            return (language_label(lang), *refresh(lang, backend))

        refreshed = [status, timer, answerer, answerer_status, slide_pick]
        demo.load(opened, [answerer], [ui_lang, *refreshed], **quiet)
        timer.tick(refresh, [ui_lang, answerer], refreshed, **quiet)
        answerer.change(lambda b, v: service.answerer_status(b, ui_language(v)), [answerer, ui_lang],
                        answerer_status, **quiet)
        slide_pick.change(lambda s, v: service.slide(s, ui_language(v)), [slide_pick, ui_lang],
                          slide_view, **quiet)

        def relabel(ui_value, backend, section, history):
            lang = ui_language(ui_value)
            t = labels(lang)
            retriever = service.assistant.retriever if service.ready else None
            return (_header(t), service.status(lang), service.replies.relabel(history, lang, retriever),
                    gr.Textbox(placeholder=t["placeholder"]), gr.Accordion(label=t["settings"]),
                    gr.Radio(choices=mode_choices(lang), label=t["mode"]), gr.Slider(label=t["k"]),
                    gr.Radio(label=t["answerer"]), service.answerer_status(backend, lang),
                    gr.Accordion(label=t["viewer"]), gr.Dropdown(label=t["slide"]),
                    service.slide(section, lang), gr.Textbox(placeholder=t["feedback_hint"]),
                    gr.Button(t["feedback_send"]))

        ui_lang.change(relabel, [ui_lang, answerer, slide_pick, chatbot],
                       [header, status, chatbot, textbox, settings, mode, k, answerer, answerer_status,
                        viewer, slide_pick, slide_view, comment, comment_send], **quiet)
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_MAX)
    return demo


def _added(service: ChatService):
    def handler(files) -> str:
        paths = [getattr(f, "name", f) for f in (files or [])]
        return service.add_documents([(p, Path(p).name) for p in paths])

    return handler


def _settled(history: list) -> bool:
    """Whether the chat is not waiting for an answer: it ends with a final answer, an error or
    a stopped answer (or is empty)."""
    if not history:
        return True
    last = history[-1]
    text = message_text(last.get("content"))
    return last.get("role") == "assistant" and any(
        f'class="{name}' in text for name in ("qa-reply", "qa-error", "qa-stopped"))


def _reply_at(history: list, index) -> str:
    """The reply id of the chat message at ``index`` (an int, or a pair for grouped messages)."""
    i = index[0] if isinstance(index, list | tuple) else index
    try:
        return reply_id(message_text(history[i]["content"]))
    except (IndexError, KeyError, TypeError):
        return ""


def _header(t: dict[str, str]) -> str:
    return f"## {t['title']}\n{t['intro']}"


def _slide_choices(service: ChatService) -> list[tuple[str, str]]:
    return [(f"{section}  {title}", section) for section, title in service.sections()]


def server_environment() -> None:
    """Defaults for a server process (a user's own settings win): no Gradio analytics, and
    matplotlib's headless backend. Gradio reads matplotlib's backend around every event; left
    unset, resolving it imports pyplot (~0.5 s and 20 MB here) during the first question."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("MPLBACKEND", "agg")


def _import_matplotlib() -> None:
    with contextlib.suppress(ImportError):
        import matplotlib  # noqa: F401


@contextlib.contextmanager
def _api_errors():
    """User errors (empty question, bad k or mode, still loading) as a clean gr.Error."""
    try:
        yield
    except UserError as exc:
        raise gr.Error(str(exc)) from None


def serve(host: str = "127.0.0.1", port: int = 7860, share: bool = False, llm: str | None = None,
          index_dir: str | None = None, feedback: bool = True, allow_upload: bool = False,
          service: ChatService | None = None) -> None:
    """Serve the page while the Assistant loads, and block until interrupted. ``service``: one
    from ``qa.chat_service.start_service``, already loading (``qa chat`` starts it before
    importing this module and Gradio); else one is started here. With ``feedback``, 👍/👎 on
    answers are kept in ``Config.feedback_dir`` (QA_FEEDBACK_DIR).

    Raises ``LoadError`` (after closing the server) when the Assistant cannot be loaded.
    """
    t0 = time.perf_counter()
    server_environment()
    if service is None:
        service = start_service(index_dir, llm, feedback)
    config, votes = service.config, service.feedback
    log("starting the web server…")
    demo = build_demo(service, allow_upload=allow_upload)
    limit = {"max_file_size": f"{config.max_corpus_mb:g}mb"} if allow_upload else {}
    demo.launch(server_name=host, server_port=port, share=share, prevent_thread_lock=True, quiet=True,
                **launch_options(), **api_options(service, host, share), **limit)  # fails fast on a busy port
    url = demo.local_url.rstrip("/")
    log(f"API for programs: {url}/v1 (OpenAI-compatible), {url}/mcp (MCP, streamable HTTP)")
    if votes is not None:
        log(f"feedback (👍/👎) is kept in {votes.path}; --no-feedback turns it off")
    log(f"page ready at {demo.local_url} ({time.perf_counter() - t0:.1f} s); "
           "it shows a status line until the model is loaded")
    if share and demo.share_url:
        log(f"public share link: {demo.share_url}")
    try:
        service.wait()
    except LoadError:
        demo.close()
        raise
    log(f"ready for questions at {demo.local_url} ({time.perf_counter() - t0:.1f} s). Ctrl+C stops.")
    _import_matplotlib()  # else Gradio's first event would import it
    demo.block_thread()
