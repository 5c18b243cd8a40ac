"""Load checks on the real app (real Assistant, real document) served in-process on a loopback port:
a burst of 50 questions from 10 concurrent gradio_client users, and 500 sequential questions with
the process's memory measured. Figures are printed and written to a JSON file under ``tmp_path``."""

from __future__ import annotations

import gc
import json
import math
import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

import pytest
from support import running_app

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")]

# (question, a string the offline extractive answer contains), each checked by hand with `qa ask`.
QUESTIONS = [
    ("G7サミットはどこで開催された？", "コーンウォール"),
    ("EUの復興パッケージの規模はいくらですか。", "7,500億ユーロ"),
    # (「RCEPは世界のGDPのどのくらいを占めますか。」 stood here; the weights fitted on the enlarged gold
    # set answer it with the IMF table's 世界 row, a wrong answer noted in eval/README "Round 11")
    ("RCEPは我が国の貿易総額のどのくらいを占めますか。", "約５割"),
    ("バイデン政権は発足後100日で何本の大統領令を発出しましたか。", "40本超"),
    ("米国の輸出管理強化で、ファーウェイ等何社が再輸出規制の対象となりましたか。", "152社"),
    ("Where was the G7 summit held?", "コーンウォール"),
    ("What is the size of the proposed American Jobs Plan?", "2.25兆ドル"),
    ("Which Chinese state-owned chip foundry was flagged by the US for military end-use risk?", "SMIC"),
    ("Where did TSMC decide to build a new factory under US pressure?", "アリゾナ"),
    ("When did the UK-EU Trade and Cooperation Agreement formally enter into force?", "2021年5月"),
]
USERS, PER_USER = 10, 5
ASK_TIMEOUT_S = 60.0  # one /ask call
BURST_TIMEOUT_S = 180.0  # the whole burst
SEQUENTIAL, SEQUENTIAL_BUDGET_S = 500, 240.0
LOAD_TIMEOUT_S = 300.0  # model load (first time in the session)
MB = 1024 * 1024


@pytest.fixture(scope="module")
def server():
    """The real app on a free loopback port, with the service loaded and ready; closed at the end."""
    from qa.chat_service import ChatService, shared_assistant

    t0 = time.perf_counter()
    with pytest.MonkeyPatch.context() as mp:  # no telemetry from the server or the clients
        mp.setenv("GRADIO_ANALYTICS_ENABLED", "False")
        mp.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
        service = ChatService(lambda report: shared_assistant())  # the process's one Assistant
        with running_app(service) as url:
            service.start()
            service.wait(LOAD_TIMEOUT_S)  # raises LoadError rather than serving "still loading"
            print(f"\n[load] app ready at {url} in {time.perf_counter() - t0:.1f} s")
            yield url
        print(f"\n[load] module runtime {time.perf_counter() - t0:.1f} s (app up to closed)")


@pytest.fixture(scope="module")
def source() -> str:
    from qa.corpus import read_corpus_file

    return read_corpus_file(ROOT / "corpus" / "trade_policy_2021.txt").text


def make_client(url: str):
    from gradio_client import Client

    return Client(url, verbose=False, analytics_enabled=False, download_files=False,
                  httpx_kwargs={"timeout": ASK_TIMEOUT_S})


def close_all(clients: list) -> None:
    """Close the clients at once: each close() waits up to 1 s for its heartbeat thread."""
    threads = [threading.Thread(target=c.close, daemon=True) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)


def ask(client, question: str, timeout: float = ASK_TIMEOUT_S) -> dict:
    """One /ask call with the offline extractive answerer, bounded by ``timeout`` seconds."""
    job = client.submit(question=question, k=5, mode="hybrid", answerer="extractive", api_name="/ask")
    return job.result(timeout=timeout)


def problems(answer: dict, question: str, expected: str, source: str) -> list[str]:
    """What is wrong with ``answer`` to ``question`` (empty when it is right)."""
    found = []
    if answer.get("question") != question:
        found.append(f"answer is for {answer.get('question')!r}")  # crossed between users
    if answer.get("abstained") or expected not in answer.get("answer", ""):
        found.append(f"{expected!r} not in answer {answer.get('answer', '')[:120]!r}")
    citations = answer.get("citations") or []
    if not citations:
        found.append("no citation")
    for c in citations:
        if source[c["start"]:c["end"]] != c["quote"]:
            found.append(f"quote {c['quote'][:40]!r} is not the source text at {c['start']}:{c['end']}")
    if citations and not any(expected in c["quote"].replace("\n", "") for c in citations):
        found.append(f"no citation quotes {expected!r}")  # quotes keep the slide's line breaks
    return found


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p95 of 50 values is the 48th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def report(capsys, path: Path, figures: dict, line: str) -> None:
    path.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    with capsys.disabled():
        print(f"\n{line}\n[load] figures written to {path}")


def test_burst_of_50_questions_from_10_concurrent_clients(server, source, tmp_path, capsys):
    clients = [make_client(server) for _ in range(USERS)]
    start = threading.Barrier(USERS)

    def user(u: int) -> list[tuple[str, float, dict | None, str]]:
        """User ``u`` asks 5 questions in a row, starting at a different question from the others."""
        start.wait(30)
        results = []
        for j in range(PER_USER):
            question = QUESTIONS[(u + j) % len(QUESTIONS)][0]
            t0 = time.perf_counter()
            try:
                answer, error = ask(clients[u], question), ""
            except Exception as exc:  # noqa: BLE001 - reported with the others below
                answer, error = None, repr(exc)
            results.append((question, time.perf_counter() - t0, answer, error))
        return results

    pool = ThreadPoolExecutor(USERS, thread_name_prefix="load-user")
    t0 = time.perf_counter()
    try:
        futures = [pool.submit(user, u) for u in range(USERS)]
        done, pending = wait(futures, timeout=BURST_TIMEOUT_S)
        wall = time.perf_counter() - t0
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # never block past the timeout
        close_all(clients)
    assert not pending, f"{len(pending)} of {USERS} users still waiting after {BURST_TIMEOUT_S:.0f} s"
    results = [r for f in futures for r in f.result()]
    assert len(results) == USERS * PER_USER

    expected = dict(QUESTIONS)
    errors = [f"{q!r}: {e}" for q, _, _, e in results if e]
    assert not errors, f"{len(errors)} of {len(results)} calls failed:\n" + "\n".join(errors[:10])
    wrong = [f"{q!r}: {'; '.join(p)}" for q, _, a, _ in results if (p := problems(a, q, expected[q], source))]
    assert not wrong, f"{len(wrong)} of {len(results)} answers wrong:\n" + "\n".join(wrong[:10])

    latencies = [s for _, s, _, _ in results]
    figures = {"questions": len(results), "users": USERS, "wall_s": round(wall, 3),
               "p50_s": round(statistics.median(latencies), 3), "p95_s": round(percentile(latencies, 95), 3),
               "max_s": round(max(latencies), 3), "latencies_s": [round(s, 3) for s in latencies]}
    report(capsys, tmp_path / "burst.json", figures,
           f"[load] {len(results)} questions from {USERS} concurrent clients in {wall:.1f} s; latency "
           f"p50 {figures['p50_s']:.2f} s, p95 {figures['p95_s']:.2f} s, max {figures['max_s']:.2f} s")


def test_memory_stays_flat_over_500_sequential_questions(server, source, tmp_path, capsys):
    import psutil

    process = psutil.Process()  # the app runs in this process, so its RSS is the server's
    client = make_client(server)
    rss: dict[int, int] = {}
    t0 = time.perf_counter()
    try:
        for i in range(SEQUENTIAL):
            elapsed = time.perf_counter() - t0
            if elapsed > SEQUENTIAL_BUDGET_S:
                pytest.fail(f"only {i} of {SEQUENTIAL} questions answered in {SEQUENTIAL_BUDGET_S:.0f} s")
            question, expected = QUESTIONS[i % len(QUESTIONS)]
            try:
                answer = ask(client, question, min(ASK_TIMEOUT_S, SEQUENTIAL_BUDGET_S - elapsed + 1))
            except Exception as exc:  # noqa: BLE001 - fail with the question's number
                pytest.fail(f"question {i + 1} ({question!r}) failed: {exc!r}")
            wrong = problems(answer, question, expected, source)
            assert not wrong, f"question {i + 1} ({question!r}): {'; '.join(wrong)}"
            if (i + 1) % 100 == 0:
                gc.collect()
                rss[i + 1] = process.memory_info().rss
    finally:
        client.close()
    wall = time.perf_counter() - t0

    growth = rss[SEQUENTIAL] - rss[100]
    figures = {"questions": SEQUENTIAL, "wall_s": round(wall, 1),
               "per_question_ms": round(1000 * wall / SEQUENTIAL, 1),
               "rss_mb": {n: round(v / MB, 1) for n, v in rss.items()},
               "growth_100_to_500_mb": round(growth / MB, 1), "pid": os.getpid()}
    report(capsys, tmp_path / "memory.json", figures,
           f"[load] {SEQUENTIAL} sequential questions in {wall:.1f} s "
           f"({figures['per_question_ms']:.0f} ms each); RSS after 100: {rss[100] / MB:.1f} MB, "
           f"after 500: {rss[SEQUENTIAL] / MB:.1f} MB "
           f"(growth {growth / MB:+.1f} MB)")
    assert growth < 50 * MB, f"RSS grew {growth / MB:.1f} MB from question 100 to {SEQUENTIAL}"
