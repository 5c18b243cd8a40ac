"""The MCP tools ``search``, ``ask`` and ``get_slide`` (official ``mcp`` SDK), over stdio or HTTP.

``qa mcp`` serves them over stdio for desktop agents; the chat server mounts the same
server over streamable HTTP at ``/mcp`` (see ``qa.api_routes``). The tools call the
``ChatService``, so both share the process's one Assistant.
"""

from __future__ import annotations

import logging
import threading
import traceback
import unicodedata
from functools import partial
from typing import Annotated, Any

from pydantic import Field

from qa.chat_service import ChatService, load_assistant, log
from qa.errors import SectionError, UserError

NAME = "qa-trade-policy"
API_CONCURRENCY = 4  # tool calls answered at once; more wait for a slot
WAIT_S = 300.0  # how long a call waits for the model to finish loading

INSTRUCTIONS = (
    "Answers questions about one Japanese document: METI's 2021 trade-policy slide deck (post-COVID "
    "economy; US, EU and China policy; economic security and supply chains; digital trade; green; "
    "human rights; WTO, EPA and RCEP; ASEAN). Questions may be in Japanese or English. Answers cite "
    "the slides with verbatim Japanese quotes and their character offsets in the source file."
)
SEARCH_DOC = (
    "Search the Japanese trade-policy document (2021 slide deck) for the passages most relevant to "
    "a query. The query may be Japanese or English (English queries find Japanese text). Returns "
    "up to k passages, best first, each with its slide (section) id and title, the passage text "
    "(verbatim Japanese from the source), its score and its character offsets [start, end) in the "
    "source file."
)
ASK_DOC = (
    "Ask a question about the Japanese trade-policy document (2021 slide deck) and get a short "
    "answer with numbered citations. The question may be Japanese or English; the answer is in the "
    "question's language, with [n] markers, and each citation's quote is verbatim Japanese text "
    "from the source (checked at its character offsets). When the document does not cover the "
    "question, abstained is true and the answer says so: do not treat that as a fact. confidence "
    "(0-1, may be null) says how sure the answerer is. Pass earlier turns as history for "
    "follow-up questions."
)
SLIDE_DOC = (
    "Get every passage of one slide (section) of the Japanese trade-policy document, in order: "
    "use a section id from search or ask results, such as 'Ⅱ-2' or 'Ⅳ-3②'. The text is verbatim "
    "Japanese with character offsets in the source file."
)

Query = Annotated[str, Field(description="Keywords or a question, Japanese or English")]
Question = Annotated[str, Field(description="A question in Japanese or English")]
K = Annotated[int, Field(ge=1, le=20, description="Number of passages to retrieve (1-20)")]
Mode = Annotated[str, Field(description="Retrieval mode: hybrid (default), dense or bm25")]
History = Annotated[list[list[str]] | None, Field(
    description="Earlier turns, oldest first, as [question, answer] pairs (for follow-ups)")]
Section = Annotated[str, Field(description="A slide id, e.g. 'Ⅱ-2' or 'Ⅳ-3②'")]


class Tools:
    """The tool functions: plain synchronous calls on the ``ChatService`` (the SDK runs them
    on worker threads), at most ``API_CONCURRENCY`` at once through ``gate``."""

    def __init__(self, service: ChatService, gate: threading.Semaphore | None = None):
        self.service = service
        self.gate = gate or threading.BoundedSemaphore(API_CONCURRENCY)

    def _call(self, fn, *args):
        from mcp.server.mcpserver.exceptions import ToolError

        with self.gate:
            try:
                return fn(*args)
            except UserError as exc:  # the agent reads the message and can fix its call
                raise ToolError(str(exc)) from None
            except Exception:  # noqa: BLE001 - a bug: the server log gets the traceback
                traceback.print_exc()
                raise ToolError("internal error (details in the server log)") from None

    def search(self, query: Query, k: K = 5, mode: Mode = "hybrid") -> dict[str, Any]:
        hits = self._call(self.service.search, query, k, mode, WAIT_S)
        return {"query": query, "mode": mode, "passages": hits}

    def ask(self, question: Question, history: History = None, k: K = 5, mode: Mode = "hybrid"
            ) -> dict[str, Any]:
        answer = self._call(self.service.ask, question, k, mode, None, history, WAIT_S)
        return ask_result(answer)

    def get_slide(self, section: Section) -> dict[str, Any]:
        return self._call(self._slide, section)

    def _slide(self, section: str) -> dict[str, Any]:
        retriever = self.service.wait(WAIT_S).retriever
        sections = list(dict.fromkeys(p.section for p in retriever.passages))
        found = find_section(section, sections)
        passages = retriever.section_passages(found)
        return {"section": found, "title": passages[0].title,
                "passages": [{"id": p.id, "text": p.text, "start": p.start, "end": p.end}
                             for p in passages]}


def ask_result(answer: dict) -> dict[str, Any]:
    """The ``ask`` tool's result: the Answer's fields without the retrieved passages and
    timings (``search`` gives passages), with ``confidence`` always present (None if unknown)."""
    out = {k: v for k, v in answer.items() if k not in ("passages", "timings")}
    out.setdefault("confidence", None)
    return out


def _fold(section: str) -> str:
    text = unicodedata.normalize("NFKC", section).upper().replace(" ", "")
    return "".join("-" if unicodedata.category(ch) == "Pd" or ch in "ー−" else ch for ch in text)


def find_section(section: str, sections: list[str]) -> str:
    """``section`` as it appears in ``sections``: exact, else the one equal after folding
    width, dashes and roman numerals (``II-2`` finds ``Ⅱ-2``); else ``SectionError``."""
    if section in sections:
        return section
    folded = [s for s in sections if _fold(s) == _fold(section)]
    if len(folded) == 1:
        return folded[0]
    hint = ", ".join(sections[:6])
    raise SectionError(f"unknown section {section!r}: use a section id from search results "
                       f"(such as {hint}, ...)")


def build_server(service: ChatService, gate: threading.Semaphore | None = None):
    """The MCP server with the three tools, read-only and closed-world."""
    from mcp.server import MCPServer
    from mcp.types import ToolAnnotations

    from qa import __version__

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    server = MCPServer(NAME, instructions=INSTRUCTIONS, version=__version__, log_level="WARNING")
    root.handlers[:], root.level = handlers, level  # the SDK sets up root logging: keep the app's
    tools = Tools(service, gate)
    read_only = ToolAnnotations(readOnlyHint=True, openWorldHint=False, idempotentHint=True)
    server.add_tool(tools.search, name="search", title="Search the document", description=SEARCH_DOC,
                    annotations=read_only)
    server.add_tool(tools.ask, name="ask", title="Ask the document", description=ASK_DOC,
                    annotations=read_only)
    server.add_tool(tools.get_slide, name="get_slide", title="Read one slide", description=SLIDE_DOC,
                    annotations=read_only)
    return server


def run_stdio(index_dir: str | None = None, llm: str | None = None) -> None:
    """``qa mcp``: answer over stdin/stdout (the SDK keeps stray prints off stdout) while the
    Assistant loads in the background; tool calls wait for it."""
    import anyio

    from qa.config import Config

    config = Config.from_env(index_dir=index_dir, llm=llm)
    service = ChatService(partial(load_assistant, config.index_dir, config.llm), config=config)
    service.start()
    log("MCP server on stdio; the model loads in the background")
    anyio.run(build_server(service).run_stdio_async)
