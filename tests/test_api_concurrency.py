"""Ten clients at once on one running server, mixing the chat UI (Gradio's /chat), the MCP
tools over HTTP and the OpenAI-compatible route (plain and streamed): every request gets the
answer to its own question, none lost or mixed up."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, wait

import anyio
import pytest
from api_clients import call

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")]

QUESTIONS = [  # from eval/gold.jsonl, five Japanese and five English
    "G7サミットはどこで開催された？",
    "日EU・EPAはいつ発効しましたか。",
    "バイデン政権の大規模な経済対策は総計でどのくらいの規模ですか。",
    "ピラー２と類似の制度を米国が導入したのはいつですか。",
    "豪州戦略政策研究所（ASPI）が20年3月に公表した調査報告のタイトルは何ですか。",
    "What growth rate did the IMF forecast for the world economy in 2021?",
    "What is the size of the proposed American Jobs Plan?",
    "Which Thai conglomerate partnered with Alibaba in electronic money?",
    "Under which US laws are sanctions imposed for human rights abuses abroad?",
    "Where was the G7 summit held?",
]
ROUTES = ["chat", "mcp", "openai", "openai-stream", "chat", "mcp", "openai", "openai-stream", "mcp", "chat"]


def ask_chat_ui(url: str, question: str) -> str:
    from gradio_client import Client

    from qa.render import plain_answer

    final = Client(url, verbose=False).submit(question, "日本語", "hybrid", 5, "extractive",
                                              api_name="/chat").result(timeout=240)
    return plain_answer(final)


def ask_mcp(url: str, question: str) -> str:
    from mcp import Client

    async def main() -> str:
        async with Client(url + "mcp", read_timeout_seconds=240) as client:
            return (await call(client, "ask", question=question))["answer"]

    return anyio.run(main)


def ask_openai(url: str, question: str, stream: bool) -> str:
    from openai import OpenAI

    client = OpenAI(base_url=url + "v1", api_key="unused", max_retries=0, timeout=240)
    messages = [{"role": "user", "content": question}]
    if not stream:
        out = client.chat.completions.create(model="extractive", messages=messages)
        return out.choices[0].message.content
    chunks = client.chat.completions.create(model="extractive", messages=messages, stream=True)
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def test_ten_mixed_clients_each_get_their_own_answer(app_url, real_assistant):
    from qa.render import plain_answer, render_answer

    expected = {q: real_assistant.ask(q) for q in QUESTIONS}
    assert len({a.answer for a in expected.values()}) == len(QUESTIONS)  # a mix-up would show
    start = threading.Barrier(len(QUESTIONS))

    def one(i: int) -> tuple[int, str]:
        question, route = QUESTIONS[i], ROUTES[i]
        start.wait(60)
        if route == "chat":
            return i, ask_chat_ui(app_url, question)
        if route == "mcp":
            return i, ask_mcp(app_url, question)
        return i, ask_openai(app_url, question, stream=route == "openai-stream")

    pool = ThreadPoolExecutor(len(QUESTIONS))
    futures = [pool.submit(one, i) for i in range(len(QUESTIONS))]
    done, pending = wait(futures, timeout=300)
    pool.shutdown(wait=False, cancel_futures=True)  # a hung request must not hold the test
    assert not pending, f"{len(pending)} requests still unanswered"
    got = dict(f.result() for f in done)
    assert sorted(got) == list(range(len(QUESTIONS)))  # none lost
    for i, question in enumerate(QUESTIONS):
        answer = expected[question]
        want = answer.answer if ROUTES[i] != "chat" else plain_answer(
            render_answer(answer, "ja", real_assistant.retriever))
        assert got[i] == want, (ROUTES[i], question)
