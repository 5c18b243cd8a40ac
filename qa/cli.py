"""The ``qa`` command: one thin subcommand per job; user errors exit with one line and code 2.

Heavy imports stay inside commands, so ``qa --help`` is instant."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from qa.cli_corpus import IndexOpt, add, fail, index, user_errors
from qa.config import Config, check_backend
from qa.errors import LoadError

HEAD_START_S = 10.0  # qa chat: how long the model may load before the page is built

app = typer.Typer(
    help="Bilingual (Japanese/English) question answering over a 2021 Japanese trade-policy document.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)

app.command()(index)
app.command()(add)
ModeOpt = Annotated[str, typer.Option("--mode", help="hybrid | dense | bm25")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for programs")]
LlmOpt = Annotated[str | None, typer.Option(
    "--llm", help="extractive (offline) | openai | ollama [default: QA_LLM or extractive]")]


def check_llm(llm: str | None) -> None:
    """Refuse an unknown ``--llm`` before anything heavy is imported."""
    if llm is not None:
        with user_errors():
            check_backend(llm)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Question or keywords, Japanese or English")],
    k: Annotated[int, typer.Option("-k", help="Number of passages")] = 5,
    mode: ModeOpt = "hybrid",
    index_dir: IndexOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Retrieve the passages that best match QUERY."""
    from qa.citations import where
    from qa.questions import clean_question
    from qa.retrieving import Retriever

    with user_errors():
        clean_question(query)  # a bad query fails before the model loads
        retriever = Retriever.load(index_dir=index_dir)
        hits = retriever.search(query, k=k, mode=mode)
    if as_json:
        typer.echo(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=2))
        return
    for h in hits:
        text = " ".join(h.text.split())
        typer.echo(f"{h.rank}. [{where(h)}] {h.title}  (score {h.score:.4f}, id {h.id}, "
                   f"chars {h.start}-{h.end})\n   {text[:240]}")


GoldOpt = Annotated[Path | None, typer.Option(
    "--gold", help="Gold JSONL [default: eval/gold.jsonl]")]


def _load_gold_split(gold: Path | None, split: str):
    """(gold path, items of the split); a missing or bad gold file is a user error."""
    from qa.config import PROJECT_ROOT
    from qa.gold import load_gold, select_split

    path = gold or PROJECT_ROOT / "eval" / "gold.jsonl"
    with user_errors():
        items = load_gold(path)
        select_split(items, split)
    return path, items


def _new_run_dir() -> Path:
    import time

    from qa.config import PROJECT_ROOT

    base = PROJECT_ROOT / "eval" / "runs" / time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


@app.command("eval")
def eval_(
    gold: GoldOpt = None,
    split: Annotated[str, typer.Option("--split", help="dev | test | all")] = "all",
    mode: Annotated[str, typer.Option(
        "--mode", help="hybrid | dense | bm25, a comma list, or all")] = "hybrid",
    llm: Annotated[str | None, typer.Option(
        "--llm", help="extractive | openai | ollama [default: QA_LLM or extractive]")] = None,
    k: Annotated[int, typer.Option("--k", "-k", help="Passages given to the answerer")] = 5,
    retrieval_only: Annotated[bool, typer.Option(
        "--retrieval-only", help="Only evaluate retrieval (no answers)")] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Output folder [default: eval/runs/<UTC time>]")] = None,
    as_json: JsonOpt = False,
    index_dir: IndexOpt = None,
) -> None:
    """Evaluate retrieval and answers on the gold set; write results, metrics and a report."""
    from qa.evaluating import parse_modes, run_eval
    from qa.report import summary_table
    from qa.retrieving import Retriever

    cfg = Config.from_env(index_dir=index_dir, llm=llm)
    gold_path, items = _load_gold_split(gold, split)
    if k < 1:
        raise fail("--k must be at least 1")
    if not retrieval_only:
        with user_errors():
            check_backend(cfg.llm)
    out_dir = out or _new_run_dir()
    with user_errors():
        modes = parse_modes(mode)
        retriever = Retriever.load(index_dir=cfg.index_dir)
        assistant = None
        if not retrieval_only:
            from qa.chain import Assistant

            assistant = Assistant.load(index_dir=cfg.index_dir, llm=cfg.llm, retriever=retriever)
        info = {"gold": str(gold_path), "index": str(cfg.index_dir),
                "llm": None if retrieval_only else cfg.llm, "out_dir": str(out_dir)}
        metrics = run_eval(items, retriever, assistant, k=k, mode=modes, split=split,
                           retrieval_only=retrieval_only, out_dir=out_dir,
                           corpus_dir=cfg.corpus_dir, info=info)
    if as_json:
        typer.echo(json.dumps(metrics, ensure_ascii=False, indent=2))
        return
    typer.echo(summary_table(metrics))
    typer.echo(f"\n{metrics['run']['n_questions']} questions in {metrics['run']['elapsed_s']} s. "
               f"Wrote results.jsonl, metrics.json, report.md to {out_dir}")


@app.command()
def bench(
    split: Annotated[str, typer.Option("--split", help="dev | test | all")] = "test",
    as_json: JsonOpt = False,
    corpus: Annotated[Path | None, typer.Option(
        "--corpus", help="Corpus folder [default: ./corpus]")] = None,
    gold: GoldOpt = None,
    startup_only: Annotated[bool, typer.Option(
        "--startup-only", help="Only cold starts, the chat's first answer and encode latency")] = False,
    repeats: Annotated[int, typer.Option("--repeats", min=1, help="Cold-start rounds")] = 5,
    scale: Annotated[bool, typer.Option(
        "--scale", help="Instead: how cost grows with 1x-1,000x synthetic corpora (eval/scale/)")] = False,
    sizes: Annotated[str, typer.Option("--sizes", help="With --scale: corpus sizes")] = "1,10,100,1000",
    real_model: Annotated[bool, typer.Option(
        "--real-model/--no-real-model", help="With --scale: embed the deck with the real model")] = True,
    stores: Annotated[str, typer.Option(
        "--stores", help="With --scale: faiss or faiss,milvus (QA_MILVUS_URI, else milvus-lite)")] = "faiss",
) -> None:
    """Benchmark cold starts and both query engines, and this pipeline against a
    LangChain-tutorial baseline, side by side (or, with --scale, how cost grows)."""
    from qa.bench_startup import format_startup, run_startup
    from qa.gold import select_split

    cfg = Config.from_env(corpus_dir=corpus)
    _, items = _load_gold_split(gold, split)
    if scale:
        from qa.scale_report import run_and_report

        with user_errors():
            run_and_report(cfg.corpus_dir, [i.question for i in items], sizes, real_model, as_json,
                           stores=stores)
        return
    from qa.bench import format_bench, run_bench

    with user_errors():
        questions = [i.question for i in select_split(items, split)]
        # first, while this process is still light; its torch model then serves run_bench
        startup, st_embedder = run_startup(questions, repeats=repeats,
                                           say=lambda m: typer.echo(m, err=True))
        result = {} if startup_only else run_bench(cfg.corpus_dir, items, split=split,
                                                   embedder=st_embedder)
        result["startup"] = startup
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    tables = [] if startup_only else [format_bench(result), ""]
    typer.echo("\n".join([*tables, format_startup(startup)]))


@app.command()
def fit(
    gold: GoldOpt = None,
    index_dir: IndexOpt = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Where to write the weights [default: qa/answer_model.json]")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report only; write nothing")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Fit the answer ranker and abstention model on the gold set (cross-validated by slide)."""
    from qa.fit_report import run_fit

    _, items = _load_gold_split(gold, "all")
    with user_errors():
        report = run_fit(items, index_dir, out, write=not dry_run)
    typer.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else report["table"])


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A question in Japanese or English")],
    llm: LlmOpt = None,
    k: Annotated[int, typer.Option("-k", help="Passages to retrieve")] = 5,
    mode: ModeOpt = "hybrid",
    index_dir: IndexOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer QUESTION from the document, with citations to exact passages."""
    from qa.chain import Assistant
    from qa.questions import clean_question

    with user_errors():
        clean_question(question)  # a bad question fails before the model loads
        assistant = Assistant.load(index_dir=index_dir, llm=llm, k=k, mode=mode)
        answer = assistant.ask(question)
    if as_json:
        data = answer.to_dict()
        keep = ("question", "language", "answer", "abstained", "confidence", "confidence_label",
                "short_answer", "highlight", "citations", "passages", "notice")
        typer.echo(json.dumps({key: data[key] for key in keep}, ensure_ascii=False, indent=2))
        return
    from qa.citations import display, where

    if answer.notice:
        typer.echo(f"Note: {answer.notice}", err=True)
    typer.echo(answer.answer)
    if answer.citations:
        typer.echo("")
        for c in answer.citations:
            typer.echo(f"[{c.n}] {where(c)} {c.title} (chars {c.start}-{c.end})\n    「{display(c.quote)}」")
    elif answer.abstained and answer.passages:
        typer.echo("\nClosest passages:")
        slides: dict[str, object] = {}
        for h in answer.passages:  # one line a slide, in rank order
            slides.setdefault(where(h), h)
        for n, (place, h) in enumerate(list(slides.items())[:3], start=1):
            typer.echo(f"  {n}. [{place}] {h.title}")


@app.command()
def chat(
    host: Annotated[str, typer.Option(
        "--host", help="Address to bind; 127.0.0.1 keeps the page on this machine")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port of the web page and API")] = 7860,
    share: Annotated[bool, typer.Option(
        "--share/--no-share", help="Also open a public gradio.live link")] = False,
    llm: LlmOpt = None,
    index_dir: IndexOpt = None,
    allow_upload: Annotated[bool, typer.Option(
        "--allow-upload", help="Show a panel that adds .txt/.md/.pdf documents to the corpus")] = False,
    feedback: Annotated[bool, typer.Option(
        "--feedback/--no-feedback",
        help="Keep 👍/👎 on answers in QA_FEEDBACK_DIR "
             "[default: ~/.local/share/qa-trade-policy/feedback]")] = True,
) -> None:
    """Open the chat page with its APIs: /ask and /search, OpenAI-compatible /v1, MCP at /mcp."""
    check_llm(llm)
    if not 0 < port < 65536:
        raise fail(f"--port must be between 1 and 65535, not {port}")
    from qa.chat_service import start_service

    # the model loads before Gradio is imported (a longer load goes on behind the page)
    service = start_service(str(index_dir) if index_dir else None, llm, feedback, HEAD_START_S)
    from qa import web

    try:
        web.serve(host=host, port=port, share=share, allow_upload=allow_upload, service=service)
    except LoadError as exc:
        raise fail(f"could not load the assistant: {exc}") from None
    except OSError as exc:
        raise fail(f"could not serve on {host}:{port}: {exc}") from None


@app.command("mcp")
def mcp_stdio(
    llm: LlmOpt = None,
    index_dir: IndexOpt = None,
) -> None:
    """Serve the MCP tools search, ask and get_slide over stdio (for Claude Desktop and other agents)."""
    check_llm(llm)
    from qa.mcp_server import run_stdio

    run_stdio(index_dir=str(index_dir) if index_dir else None, llm=llm)


feedback_app = typer.Typer(help="The chat's 👍/👎 feedback.", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("export")
def feedback_export(
    out: Annotated[Path | None, typer.Option("--out", help="Gold JSONL to write [default: print it]")] = None,
    folder: Annotated[Path | None, typer.Option(
        "--dir", help="Feedback folder [default: QA_FEEDBACK_DIR]")] = None,
) -> None:
    """Write the down-voted questions as gold lines (answer: null) for a person to fill in;
    `qa eval --gold FILE` reads the file."""
    from qa.feedback import export_gold

    with user_errors():
        n, text = export_gold(folder or Config.from_env().feedback_dir, out)
    if out is None:
        typer.echo(text, nl=False)
    typer.echo(f"{n} down-voted question(s){f' written to {out}' if out else ''}.", err=True)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
