"""The ``qa`` command: one thin subcommand per job. Heavy imports stay inside commands."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from qa.config import Config

app = typer.Typer(
    help="Bilingual (Japanese/English) question answering over a 2021 Japanese trade-policy document.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)

IndexOpt = Annotated[Path | None, typer.Option("--index", help="Index folder [default: ./index]")]
ModeOpt = Annotated[str, typer.Option("--mode", help="hybrid | dense | bm25")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for programs")]
ModelOpt = Annotated[str | None, typer.Option(
    "--model", help="sentence-transformers hub id or local folder [default: QA_EMBED_MODEL or bundled e5]")]


def user_error_types() -> tuple[type[BaseException], ...]:
    from qa.corpus import CorpusError
    from qa.embedding import EmbeddingError
    from qa.indexing import IndexLoadError
    from qa.questions import QuestionError
    from qa.retrieving import ModeError

    types: list[type[BaseException]] = [CorpusError, EmbeddingError, IndexLoadError, QuestionError,
                                        ModeError]
    with contextlib.suppress(ImportError):
        from qa.llm import LLMError

        types.append(LLMError)
    return tuple(types)


def fail(message: str) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code=2)


@contextlib.contextmanager
def user_errors():
    """Turn the library's user-facing errors into one line on stderr and exit code 2."""
    try:
        yield
    except user_error_types() as exc:
        raise fail(str(exc)) from None


@app.command()
def index(
    corpus: Annotated[Path | None, typer.Option("--corpus", help="Corpus folder [default: ./corpus]")] = None,
    index_dir: IndexOpt = None,
    model: ModelOpt = None,
    if_stale: Annotated[bool, typer.Option("--if-stale", help="Only rebuild a missing or stale index")] = False,
    max_chars: Annotated[int | None, typer.Option(help="Passage size in characters")] = None,
) -> None:
    """Build the index (passages, FAISS vectors, BM25 terms) from the corpus."""
    from qa.chunking import ChunkParams
    from qa.embedding import SentenceTransformerEmbedder
    from qa.indexing import build_index, current_problem

    cfg = Config.from_env(model=model, index_dir=index_dir, corpus_dir=corpus)
    with user_errors():
        if if_stale:
            problem = current_problem(cfg.index_dir, cfg.corpus_dir, cfg.model)
            if not problem:
                typer.echo(f"Index at {cfg.index_dir} is up to date.")
                return
            typer.echo(f"Rebuilding: {problem}")
        params = ChunkParams(max_chars=max_chars) if max_chars else ChunkParams()
        embedder = SentenceTransformerEmbedder(cfg.model)
        manifest = build_index(cfg.corpus_dir, cfg.index_dir, embedder, params, progress=True)
    typer.echo(f"Indexed {manifest.n_passages} passages from {len(manifest.corpus)} file(s) "
               f"in {manifest.build_seconds:.1f} s -> {cfg.index_dir}")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Question or keywords, Japanese or English")],
    k: Annotated[int, typer.Option("-k", help="Number of passages")] = 5,
    mode: ModeOpt = "hybrid",
    index_dir: IndexOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Retrieve the passages that best match QUERY."""
    from qa.retrieving import Retriever

    with user_errors():
        retriever = Retriever.load(index_dir=index_dir)
        hits = retriever.search(query, k=k, mode=mode)
    if as_json:
        typer.echo(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=2))
        return
    for h in hits:
        text = " ".join(h.text.split())
        typer.echo(f"{h.rank}. [{h.section}] {h.title}  (score {h.score:.4f}, id {h.id}, "
                   f"chars {h.start}-{h.end})\n   {text[:240]}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
