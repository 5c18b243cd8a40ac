"""Helpers for the API client tests: the source text, citation checks, MCP client calls."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
G7_JA = "G7サミットはどこで開催された？"
G7_EN = "Where was the G7 summit held?"


def source_text() -> str:
    from qa.corpus import read_corpus_file

    return read_corpus_file(ROOT / "corpus" / "trade_policy_2021.txt").text


def assert_verbatim(citations: list[dict], source: str) -> None:
    """Every citation's quote is the source text at its offsets."""
    assert citations, "no citations"
    for c in citations:
        assert c["quote"] and source[c["start"]:c["end"]] == c["quote"], c


async def call(client, tool: str, **arguments) -> dict:
    """A tool's structured result through the MCP client (checked against its text content)."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert json.loads(result.content[0].text) == result.structured_content
    return result.structured_content


async def tool_error(client, tool: str, **arguments) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error
    return result.content[0].text
