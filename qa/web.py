"""The chat page: Gradio Blocks wired to ``ChatService``, plus ``serve`` for ``qa chat``.

Run ``qa chat`` (or ``python app.py``). The page is served at once and shows a status
line while the model loads; the Assistant is loaded once per process, never per request.
Programs call the ``/ask`` and ``/search`` endpoints with ``gradio_client``.
"""

from __future__ import annotations

import contextlib
import os
import time
from functools import partial
from pathlib import Path

from qa.chat_service import ChatService, load_assistant, log
from qa.errors import LoadError, UserError
from qa.ui_text import EXAMPLES, UI_LANGUAGES, labels, mode_choices, ui_language

CONCURRENCY = 4  # questions answered at once; more wait in Gradio's queue
QUEUE_MAX = 64

CSS = """
.qa-answer { line-height: 1.7; }
.qa-ref { color: var(--color-accent); font-weight: 600; white-space: nowrap; }
.qa-sources { margin-top: .7em; padding-top: .4em; border-top: 1px solid var(--border-color-primary); }
.qa-h { font-weight: 600; font-size: .9em; opacity: .85; margin-bottom: .2em; }
.qa-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .45em .7em;
  margin: .45em 0; background: var(--background-fill-secondary); }
.qa-card-head { font-size: .92em; }
.qa-sec { margin-right: .2em; }
.qa-meta { font-size: .8em; opacity: .7; margin-left: .3em; }
.qa-passage { font-size: .9em; margin-top: .25em; line-height: 1.6; }
.qa-card mark, .qa-slide mark { background: #ffd43b; color: #111; padding: 0 .1em; border-radius: 2px; }
.qa-open summary { cursor: pointer; font-size: .85em; margin-top: .3em; color: var(--color-accent); }
.qa-slide { font-size: .88em; max-height: 26em; overflow-y: auto; margin-top: .3em; }
.qa-slide-head { margin-bottom: .3em; }
.qa-slide-p { margin: .35em 0; }
.qa-slide-p.qa-cited { border-left: 3px solid #fab005; padding-left: .5em; }
.qa-answer-wrap.qa-abstained .qa-answer { display: inline; }
.qa-badge { background: #868e96; color: #fff; border-radius: 4px; padding: .05em .45em; font-size: .8em; }
.qa-notice { font-size: .85em; color: #d9480f; margin-top: .3em; }
.qa-error { color: #e03131; }
#qa-status { font-size: .92em; }
"""


def launch_options() -> dict:
    """``launch()`` keywords for the look (Gradio 6 takes theme and css there). Local fonts
    only: the page must work offline and show Japanese with the system's CJK font."""
    import gradio as gr

    fonts = ["ui-sans-serif", "system-ui", "Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic",
             "Meiryo", "sans-serif"]
    theme = gr.themes.Soft(font=fonts, font_mono=["ui-monospace", "Noto Sans Mono CJK JP", "monospace"])
    return {"theme": theme, "css": CSS, "ssr_mode": False}


def build_demo(service: ChatService, lang: str = "ja", allow_upload: bool = False):
    """The Blocks app around ``service`` (which may still be loading); with ``allow_upload``, a
    panel that adds .txt/.md/.pdf documents to the corpus (checked as ``qa add`` checks them)."""
    import gradio as gr

    t = labels(lang)
    language_label = {"ja": "日本語", "en": "English"}[lang]
    answerers = service.answerers()
    with gr.Blocks(title="Trade-policy QA / 通商政策QA", analytics_enabled=False) as demo:
        with gr.Row():
            with gr.Column(scale=4):
                header = gr.Markdown(_header(t), elem_id="qa-header")
                status = gr.Markdown(service.status(lang), elem_id="qa-status")
            ui_lang = gr.Radio(list(UI_LANGUAGES), value=language_label, label="表示言語 / UI language",
                               scale=0, min_width=220, elem_id="qa-ui-lang")
        timer = gr.Timer(1.0, active=not service.ready)
        with gr.Row():
            chat_column = gr.Column(scale=3, min_width=420)
            with gr.Column(scale=1, min_width=280):
                with gr.Accordion(t["settings"], open=True) as settings:
                    mode = gr.Radio(mode_choices(lang), value="hybrid", label=t["mode"], elem_id="qa-mode")
                    k = gr.Slider(1, 10, value=5, step=1, label=t["k"], elem_id="qa-k")
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
            chatbot = gr.Chatbot(label=t["chatbot"], height=640, latex_delimiters=[], elem_id="qa-chatbot",
                                 buttons=["copy", "copy_all"])
            textbox = gr.Textbox(placeholder=t["placeholder"], show_label=False, submit_btn=True,
                                 stop_btn=True, autofocus=True, elem_id="qa-input")
            gr.ChatInterface(service.respond, chatbot=chatbot, textbox=textbox,
                             additional_inputs=[ui_lang, mode, k, answerer],
                             examples=[[q] for q in EXAMPLES], api_name="chat",
                             api_visibility="undocumented", analytics_enabled=False, fill_height=False)

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

        gr.api(ask, api_name="ask")
        gr.api(search, api_name="search")

        def refresh(ui_value, backend):
            lang = ui_language(ui_value)
            ready = service.ready or bool(service.error)
            return (service.status(lang), gr.Timer(active=not ready),
                    gr.Radio(choices=service.answerers(), value=backend or service.default_answerer()),
                    service.answerer_status(backend, lang),
                    gr.Dropdown(choices=_slide_choices(service)))

        refreshed = [status, timer, answerer, answerer_status, slide_pick]
        quiet = {"api_visibility": "private", "show_progress": "hidden"}
        demo.load(refresh, [ui_lang, answerer], refreshed, **quiet)
        timer.tick(refresh, [ui_lang, answerer], refreshed, **quiet)
        answerer.change(lambda b, v: service.answerer_status(b, ui_language(v)), [answerer, ui_lang],
                        answerer_status, **quiet)
        slide_pick.change(lambda s, v: service.slide(s, ui_language(v)), [slide_pick, ui_lang],
                          slide_view, **quiet)

        def relabel(ui_value, backend, section):
            lang = ui_language(ui_value)
            t = labels(lang)
            return (_header(t), service.status(lang), gr.Chatbot(label=t["chatbot"]),
                    gr.Textbox(placeholder=t["placeholder"]), gr.Accordion(label=t["settings"]),
                    gr.Radio(choices=mode_choices(lang), label=t["mode"]), gr.Slider(label=t["k"]),
                    gr.Radio(label=t["answerer"]), service.answerer_status(backend, lang),
                    gr.Accordion(label=t["viewer"]), gr.Dropdown(label=t["slide"]),
                    service.slide(section, lang))

        ui_lang.change(relabel, [ui_lang, answerer, slide_pick],
                       [header, status, chatbot, textbox, settings, mode, k, answerer, answerer_status,
                        viewer, slide_pick, slide_view], **quiet)
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_MAX)
    return demo


def _added(service: ChatService):
    def handler(files) -> str:
        paths = [getattr(f, "name", f) for f in (files or [])]
        return service.add_documents([(p, Path(p).name) for p in paths])

    return handler


def _header(t: dict[str, str]) -> str:
    return f"## {t['title']}\n{t['intro']}"


def _slide_choices(service: ChatService) -> list[tuple[str, str]]:
    return [(f"{section}  {title}", section) for section, title in service.sections()]


@contextlib.contextmanager
def _api_errors():
    """User errors (empty question, bad k or mode, still loading) as a clean gr.Error."""
    import gradio as gr

    try:
        yield
    except UserError as exc:
        raise gr.Error(str(exc)) from None


def serve(host: str = "127.0.0.1", port: int = 7860, share: bool = False, llm: str | None = None,
          index_dir: str | None = None, allow_upload: bool = False) -> None:
    """Start loading the Assistant, serve the page meanwhile, and block until interrupted.

    Raises ``LoadError`` (after closing the server) when the Assistant cannot be loaded.
    """
    from qa.config import Config

    t0 = time.perf_counter()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    config = Config.from_env(index_dir=index_dir, llm=llm)
    service = ChatService(partial(load_assistant, config.index_dir, config.llm), config=config)
    log("starting the web server…")
    # imports Gradio (a few seconds) before the model load competes for CPU
    demo = build_demo(service, allow_upload=allow_upload)
    limit = {"max_file_size": f"{config.max_corpus_mb:g}mb"} if allow_upload else {}
    demo.launch(server_name=host, server_port=port, share=share, prevent_thread_lock=True, quiet=True,
                **launch_options(), **limit)  # fails fast on a busy port, before any model loading
    service.start()
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
    demo.block_thread()
