"""The scale bench's store comparison: the same synthetic corpus written, loaded and queried in Milvus.

``qa bench --scale --stores faiss,milvus``: at every size the FAISS index of ``qa.bench_scale``
is also written to a Milvus collection (``QA_MILVUS_URI`` if set, e.g. a server; else a
milvus-lite file in the work folder) and measured the same way: write time, load time, memory
growth while loading and then querying (this process, which also runs milvus-lite 3's server
threads; any child process is added), and per-mode query times. Query times include Milvus's gRPC round trips.
"""

from __future__ import annotations

import gc
import time
from pathlib import Path


def lite_uri(folder: Path) -> str | None:
    """The milvus-lite file the Milvus rows use (None when QA_MILVUS_URI names a server)."""
    from qa.milvus_store import milvus_settings

    settings = milvus_settings(folder)
    return settings.uri if settings.lite else None


def release_lite(uri: str | None) -> None:
    """Stop milvus-lite's in-process server for ``uri`` (it lives until released or exit)."""
    if uri:
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(uri)


def children_rss_mb() -> float:
    """Resident memory of this process's children (a milvus-lite 2 server was one; 3 runs in process)."""
    import psutil

    return round(sum(c.memory_info().rss for c in psutil.Process().children(recursive=True)) / 2**20, 1)


def write_milvus(folder: Path, parts, cheap, params) -> tuple[float, str | None]:
    """Write ``parts`` as a Milvus-store index at ``folder``; (seconds, lite file or None)."""
    from qa.indexing import write_parts

    t0 = time.perf_counter()
    write_parts(folder, parts, cheap, params, time.perf_counter(), [], False, store="milvus")
    seconds = time.perf_counter() - t0
    uri = lite_uri(folder)
    release_lite(uri)  # loading below starts it again, from its files, as a new process would
    return seconds, uri


def measure_milvus(folder: Path, write_s: float, uri: str | None, cheap, queries: list[str], qvecs,
                   query_times) -> dict:
    """Load the Milvus-store index at ``folder`` and time its queries with ``query_times``, as the
    FAISS row's are (``qa.bench_scale._query_times``)."""
    from qa.bench import PeakRss
    from qa.indexing import load_index
    from qa.retrieving import Retriever

    gc.collect()
    retriever = None
    try:
        with PeakRss() as peak:  # milvus-lite reads its collection on first use: measure the queries too
            with PeakRss() as rss:
                t0 = time.perf_counter()
                retriever = Retriever(load_index(folder), lambda: cheap)
                load_s = time.perf_counter() - t0
            query = query_times(retriever, queries, qvecs)
        row = {"write_s": round(write_s, 2), "load_s": round(load_s, 2),
               "structure_build_s": round(write_s + load_s, 2),
               "rss_loaded_mb": round(rss.peak_mb - rss.start_mb, 1),
               "rss_peak_mb": round(peak.peak_mb - peak.start_mb, 1), "child_rss_mb": children_rss_mb(),
               "query": query}
    finally:
        if retriever is not None:
            retriever.index.store.close()
        del retriever
        release_lite(uri)
        gc.collect()
    row["serving_rss_mb"] = serving_rss_mb(folder, queries)
    return row


_SERVE = """
import json, sys
import psutil
from qa.bench_scale import SyntheticLabel, hashed_ngrams
from qa.indexing import load_index
from qa.retrieving import Retriever
from qa.segmenting import terms
terms("warm up")  # Sudachi's dictionary: the same in both stores
before = psutil.Process().memory_info().rss
cheap = SyntheticLabel(384, hashed_ngrams())
retriever = Retriever(load_index(sys.argv[1]), lambda: cheap)
for q in json.loads(sys.argv[2]):
    for mode in ("dense", "bm25", "hybrid"):
        retriever.search(q, k=10, mode=mode)
print((psutil.Process().memory_info().rss - before) / 2**20)
"""


def serving_rss_mb(folder: Path, queries: list[str]) -> float:
    """How much a fresh process's RSS grows from loading the index at ``folder`` and answering
    ``queries`` in every mode (after Python, qa and Sudachi are loaded; for Milvus it includes
    pymilvus and milvus-lite's server, which runs in that process). Memory the bench itself
    freed cannot blur it, as it does in this process."""
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _SERVE, str(folder), json.dumps(queries, ensure_ascii=False)],
                         capture_output=True, text=True, timeout=3600, check=True)
    return round(float(out.stdout.strip().splitlines()[-1]), 1)
