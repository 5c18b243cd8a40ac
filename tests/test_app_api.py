"""The real app (real Assistant, real document) over HTTP through gradio_client: /ask, /search,
the streaming chat endpoint, and a bounded load check of 20 concurrent questions."""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")]

QUESTIONS = [  # 10 Japanese and 10 English questions from eval/gold.jsonl
    "IMFの見通しでは、2020年の世界の実質GDP成長率は何％でしたか。",
    "バイデン政権の大規模な経済対策は総計でどのくらいの規模ですか。",
    "英国の「より良い復興」計画で、スタートアップ支援にはいくら充てられますか。",
    "EU外務理事会が21年4月に採択したインド太平洋に関する文書の名称は何ですか。",
    "経済安全保障に関して企業に求められる対応で、何をベンチマーク化すべきとされていますか。",
    "2050年までのカーボンニュートラルを表明した国・地域はいくつですか（2021年4月末時点）。",
    "豪州戦略政策研究所（ASPI）が20年3月に公表した調査報告のタイトルは何ですか。",
    "日EU・EPAはいつ発効しましたか。",
    "ピラー２と類似の制度を米国が導入したのはいつですか。",
    "「日ASEAN経済強靱性強化に関する共同イニシアティブ」はいつ発出されましたか。",
    "What growth rate did the IMF forecast for the world economy in 2021?",
    "What is the size of the proposed American Jobs Plan?",
    "What is the name of the UK growth plan announced on 3 March 2021?",
    "Which bill passed the US Senate with bipartisan support to address challenges posed by China?",
    "What kind of corporate behaviour does the document say is unnecessary when dealing with stricter "
    "regulations?",
    "Which undersea cable project is cited, and who insured the loan?",
    "Under which US laws are sanctions imposed for human rights abuses abroad?",
    "What interim alternative to the Appellate Body did the EU propose, and when did it take effect?",
    "When did Japan propose discussing 'unlimited government access' in the OECD privacy guideline review?",
    "Which Thai conglomerate partnered with Alibaba in electronic money?",
]


@pytest.fixture(scope="module")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


@pytest.fixture(scope="module")
def source() -> str:
    from qa.corpus import read_corpus_file

    return read_corpus_file(ROOT / "corpus" / "trade_policy_2021.txt").text


def test_api_lists_ask_and_search(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/ask", "/search"} <= set(endpoints)
    params = [p["parameter_name"] for p in endpoints["/ask"]["parameters"]]
    assert params[:3] == ["question", "k", "mode"]


def test_japanese_question_cites_the_g7_slide(client, source):
    answer = client.predict("G7サミットはどこで開催された？", api_name="/ask")
    assert set(answer) >= {"question", "language", "answer", "abstained", "citations", "passages"}
    assert answer["language"] == "ja" and not answer["abstained"]
    assert "コーンウォール" in answer["answer"]
    assert "Ⅱ-2" in [c["section"] for c in answer["citations"]]
    for c in answer["citations"]:  # every quote is the exact source text at its offsets
        assert source[c["start"]:c["end"]] == c["quote"]
    assert [p["rank"] for p in answer["passages"]] == list(range(1, len(answer["passages"]) + 1))


def test_english_question_cites_the_japanese_source(client, source):
    answer = client.predict(question="Where was the G7 summit held?", k=5, mode="hybrid", api_name="/ask")
    assert answer["language"] == "en" and not answer["abstained"]
    g7 = [c for c in answer["citations"] if c["section"] == "Ⅱ-2"]
    assert g7 and "コーンウォール" in g7[0]["quote"]
    assert source[g7[0]["start"]:g7[0]["end"]] == g7[0]["quote"]


def test_search_returns_ranked_hits(client):
    hits = client.predict("EUの復興パッケージ 7,500億ユーロ", k=3, mode="bm25", api_name="/search")
    assert [h["rank"] for h in hits] == [1, 2, 3]
    assert set(hits[0]) >= {"id", "section", "title", "text", "score", "start", "end", "rank"}
    assert hits[0]["section"] == "Ⅱ-2" and "7,500億" in hits[0]["text"]


def test_bad_requests_get_a_message_not_a_traceback(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="question is empty"):
        client.predict("   ", api_name="/ask")
    with pytest.raises(AppError, match="unknown mode"):
        client.predict("G7", mode="fuzzy", api_name="/search")


def test_chat_streams(client):
    job = client.submit("G7サミットはどこで開催された？", "日本語", "hybrid", 5, "extractive",
                        api_name="/chat")
    final = job.result()
    assert "<mark>" in final and "コーンウォール" in final
    assert len(job.outputs()) >= 3  # a status line, answer pieces, then the cited answer


def test_twenty_concurrent_questions_are_all_answered(app_url, capsys):
    from gradio_client import Client

    clients = [Client(app_url, verbose=False) for _ in QUESTIONS]
    start = threading.Barrier(len(QUESTIONS))

    def one(i: int) -> tuple[int, float, dict]:
        start.wait(30)
        t0 = time.perf_counter()
        answer = clients[i].predict(QUESTIONS[i], api_name="/ask")
        return i, time.perf_counter() - t0, answer

    t0 = time.perf_counter()
    pool = ThreadPoolExecutor(len(QUESTIONS))
    futures = [pool.submit(one, i) for i in range(len(QUESTIONS))]
    done, pending = wait(futures, timeout=120)
    pool.shutdown(wait=False, cancel_futures=True)  # a hung request must not hold the test
    wall = time.perf_counter() - t0
    assert not pending, f"{len(pending)} questions still unanswered after 120 s"
    results = sorted(f.result() for f in done)
    assert [i for i, _, _ in results] == list(range(len(QUESTIONS)))  # none lost
    for i, _, answer in results:
        assert answer["question"] == QUESTIONS[i] and answer["answer"]  # each got its own answer
    latencies = sorted(s for _, s, _ in results)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    with capsys.disabled():
        print(f"\n[load] {len(results)} concurrent questions answered in {wall:.1f} s; latency p50 "
              f"{statistics.median(latencies):.2f} s, p95 {p95:.2f} s, max {latencies[-1]:.2f} s")
