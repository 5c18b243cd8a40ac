"""The corpus commands of ``qa`` (``qa index``, ``qa add``) and the one-line user errors of every command."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer

from qa.config import Config
from qa.errors import UserError

IndexOpt = Annotated[Path | None, typer.Option("--index", help="Index folder [default: ./index]")]
ModelOpt = Annotated[str | None, typer.Option(
    "--model", help="sentence-transformers hub id or local folder [default: QA_EMBED_MODEL or bundled e5]")]


def fail(message: str) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code=2)


@contextlib.contextmanager
def user_errors():
    """Turn the library's user-facing errors into one line on stderr and exit code 2; any
    other exception is a bug and keeps its traceback."""
    try:
        yield
    except UserError as exc:
        raise fail(str(exc)) from None


def index(
    corpus: Annotated[Path | None, typer.Option(
        "--corpus", help="Corpus folder of .txt, .md and .pdf documents [default: ./corpus]")] = None,
    index_dir: IndexOpt = None,
    model: ModelOpt = None,
    if_stale: Annotated[bool, typer.Option(
        "--if-stale", help="Only rebuild a missing or stale index")] = False,
    max_chars: Annotated[int | None, typer.Option(min=20, help="Passage size in characters")] = None,
    full: Annotated[bool, typer.Option(
        "--full", help="Embed every document again, not only added or changed ones")] = False,
    store: Annotated[str | None, typer.Option(
        "--store", help="faiss | milvus (at QA_MILVUS_URI) [default: QA_STORE, else the index's, else faiss]",
    )] = None,
) -> None:
    """Index the corpus: only documents added or changed since the last build are embedded."""
    from qa.chunking import ChunkParams
    from qa.config import check_store
    from qa.corpus import corpus_paths
    from qa.embedding import SentenceTransformerEmbedder
    from qa.indexing import current_problem, update_index

    cfg = Config.from_env(model=model, index_dir=index_dir, corpus_dir=corpus)
    with user_errors():
        if store is not None:
            check_store(store)
        if if_stale:
            problem = current_problem(cfg.index_dir, cfg.corpus_dir, cfg.model)
            if not problem:
                typer.echo(f"Index at {cfg.index_dir} is up to date.")
                return
            typer.echo(f"Updating: {problem}")
        corpus_paths(cfg.corpus_dir)  # a missing or empty corpus fails before the model loads
        params = ChunkParams(max_chars=max_chars) if max_chars else ChunkParams()
        embedder = SentenceTransformerEmbedder(cfg.model)
        manifest, changes = update_index(cfg.corpus_dir, cfg.index_dir, embedder, params,
                                         progress=True, incremental=not full, store=store)
    _echo_changes(manifest, changes, cfg.index_dir)


def _echo_changes(manifest, changes, index_dir: Path) -> None:
    typer.echo(f"{'Rebuilt' if changes.full else 'Updated'}: {changes.summary()}")
    typer.echo(f"Indexed {manifest.n_passages} passages from {len(manifest.corpus)} document(s) "
               f"in {manifest.build_seconds:.1f} s -> {index_dir}")


def add(
    files: Annotated[list[Path], typer.Argument(help=".txt, .md or .pdf files to add")],
    corpus: Annotated[Path | None, typer.Option("--corpus", help="Corpus folder [default: ./corpus]")] = None,
    index_dir: IndexOpt = None,
    model: ModelOpt = None,
) -> None:
    """Copy documents into the corpus and index them (the rest of the index is reused)."""
    from qa.adding import add_documents, check_new

    cfg = Config.from_env(model=model, index_dir=index_dir, corpus_dir=corpus)
    with user_errors():
        for f in files:  # every file is checked before the model loads
            check_new(f, cfg.corpus_dir)
        from qa.embedding import SentenceTransformerEmbedder

        embedder = SentenceTransformerEmbedder(cfg.model)
        manifest, changes = add_documents([(f, f.name) for f in files], cfg.corpus_dir,
                                          cfg.index_dir, embedder, progress=True)
    _echo_changes(manifest, changes, cfg.index_dir)
