"""The MCP tools through the official ``mcp`` SDK client: ``qa mcp`` over stdio (a real
subprocess) and the running chat server's streamable-HTTP transport, in Japanese and English."""

from __future__ import annotations

import os
import sys

import pytest
from api_clients import G7_EN, G7_JA, ROOT, assert_verbatim, call, source_text, tool_error

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def source() -> str:
    return source_text()


async def exercise(client, source: str) -> None:
    """List the tools and call each in Japanese and English; bad calls come back as errors."""
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == {"search", "ask", "get_slide"}
    for tool in tools.values():
        assert "Japanese" in tool.description and tool.annotations.read_only_hint
    assert "English" in tools["ask"].description and "verbatim" in tools["ask"].description
    assert {"query", "k", "mode"} <= set(tools["search"].input_schema["properties"])
    assert {"question", "history"} <= set(tools["ask"].input_schema["properties"])

    found = await call(client, "search", query="EUの復興パッケージ 7,500億ユーロ", k=3, mode="bm25")
    hits = found["passages"]
    assert [h["rank"] for h in hits] == [1, 2, 3] and hits[0]["section"] == "Ⅱ-2"
    for h in hits:
        assert source[h["start"]:h["end"]] == h["text"] and h["title"] and isinstance(h["score"], float)
    en_hits = (await call(client, "search", query="recovery fund of the EU", k=5))["passages"]
    assert len(en_hits) == 5

    ja = await call(client, "ask", question=G7_JA)
    assert ja["language"] == "ja" and not ja["abstained"] and "コーンウォール" in ja["answer"]
    assert "confidence" in ja and "Ⅱ-2" in [c["section"] for c in ja["citations"]]
    assert_verbatim(ja["citations"], source)
    en = await call(client, "ask", question=G7_EN, history=[[G7_JA, ja["answer"]]])
    assert en["language"] == "en" and not en["abstained"]
    assert any("コーンウォール" in c["quote"] for c in en["citations"])
    assert_verbatim(en["citations"], source)
    off = await call(client, "ask", question="How do I bake sourdough bread?")
    assert off["abstained"] and off["citations"] == []

    slide = await call(client, "get_slide", section="II-2")  # ASCII numerals find Ⅱ-2
    assert slide["section"] == "Ⅱ-2" and slide["title"]
    starts = [p["start"] for p in slide["passages"]]
    assert starts == sorted(starts) and len(starts) > 1
    assert all(source[p["start"]:p["end"]] == p["text"] for p in slide["passages"])
    assert any(c["id"] in {p["id"] for p in slide["passages"]} for c in ja["citations"])

    assert "question is empty" in await tool_error(client, "ask", question="  ")
    assert "unknown mode" in await tool_error(client, "search", query="G7", mode="fuzzy")
    assert "unknown section" in await tool_error(client, "get_slide", section="Ⅸ-99")


async def test_stdio_server_started_by_the_sdk_client(source):
    from mcp import Client, StdioServerParameters

    env = {**os.environ, "PYTHONPATH": str(ROOT), "GRADIO_ANALYTICS_ENABLED": "False"}
    params = StdioServerParameters(command=sys.executable, args=["-m", "qa.cli", "mcp"], env=env, cwd=ROOT)
    async with Client(params, read_timeout_seconds=300) as client:
        assert client.server_info.name == "qa-trade-policy"
        assert "Japanese" in (client.instructions or "")
        await exercise(client, source)


async def test_http_transport_of_the_running_server(app_url, source):
    from mcp import Client

    async with Client(app_url + "mcp", read_timeout_seconds=120) as client:
        await exercise(client, source)
