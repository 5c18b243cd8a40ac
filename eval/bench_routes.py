"""Latency of each programs' route against Gradio's /ask, for the same questions (one run).

Usage (a running ``qa chat``; ``qa mcp`` is started here over stdio)::

    PYTHONPATH=. python eval/bench_routes.py http://127.0.0.1:7860/ [--n 20]

Each question goes to every route in turn (interleaved, so load on the machine hits all routes
alike), one client per route kept open; prints p50 / p90 / max per route in milliseconds.
The same assistant answers every route, so the differences are transport and framework costs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def questions(n: int) -> list[str]:
    from qa.gold import load_gold, select_split

    test = [g for g in select_split(load_gold(ROOT / "eval" / "gold.jsonl"), "test") if g.answerable]
    ja = [g.question for g in test if g.lang == "ja"][: n // 2]
    en = [g.question for g in test if g.lang == "en"][: n - len(ja)]
    return [q for pair in zip(ja, en) for q in pair]


async def run(url: str, qs: list[str]) -> dict[str, list[float]]:
    from gradio_client import Client as GradioClient
    from mcp import Client, StdioServerParameters
    from openai import AsyncOpenAI

    gradio = GradioClient(url, verbose=False)
    oai = AsyncOpenAI(base_url=url + "v1", api_key="unused", max_retries=0, timeout=300)
    stdio = StdioServerParameters(command=sys.executable, args=["-m", "qa.cli", "mcp"], cwd=ROOT,
                                  env={"PYTHONPATH": str(ROOT), "GRADIO_ANALYTICS_ENABLED": "False"})
    times: dict[str, list[float]] = {}

    def note(route: str, t0: float) -> None:
        times.setdefault(route, []).append((time.perf_counter() - t0) * 1000)

    async with Client(url + "mcp", read_timeout_seconds=300) as http, \
            Client(stdio, read_timeout_seconds=600) as local:
        await local.call_tool("search", {"query": "warm-up", "k": 1})  # waits for the model to load
        for q in qs:
            t0 = time.perf_counter()
            await asyncio.to_thread(gradio.predict, q, api_name="/ask")
            note("gradio /ask", t0)
            t0 = time.perf_counter()
            await oai.chat.completions.create(model="extractive", messages=[{"role": "user", "content": q}])
            note("openai /v1 (plain)", t0)
            t0 = time.perf_counter()
            first = None
            async for chunk in await oai.chat.completions.create(
                    model="extractive", stream=True, messages=[{"role": "user", "content": q}]):
                if first is None and chunk.choices and chunk.choices[0].delta.content:
                    first = time.perf_counter()
            note("openai /v1 (stream, last chunk)", t0)
            times.setdefault("openai /v1 (stream, first text)", []).append((first - t0) * 1000)
            t0 = time.perf_counter()
            assert not (await http.call_tool("ask", {"question": q})).is_error
            note("mcp http ask", t0)
            t0 = time.perf_counter()
            assert not (await local.call_tool("ask", {"question": q})).is_error
            note("mcp stdio ask", t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the running qa chat, e.g. http://127.0.0.1:7860/")
    parser.add_argument("--n", type=int, default=20, help="questions (half Japanese, half English)")
    args = parser.parse_args()
    url = args.url if args.url.endswith("/") else args.url + "/"
    qs = questions(args.n)
    times = asyncio.run(run(url, qs))
    print(f"{len(qs)} questions (test split, ja/en alternating), one run; ms")
    print(f"{'route':34} {'p50':>7} {'p90':>7} {'max':>7}")
    for route, values in times.items():
        values = sorted(values)
        p90 = values[int(0.9 * (len(values) - 1))]
        print(f"{route:34} {statistics.median(values):7.0f} {p90:7.0f} {values[-1]:7.0f}")


if __name__ == "__main__":
    main()
