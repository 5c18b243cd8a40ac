"""The chat server's API for programs: OpenAI-compatible ``/v1`` routes and MCP at ``/mcp``.

Both sit on Gradio's own FastAPI app (added by the lifespan ``web.serve`` passes to
``launch``), share the process's one Assistant through the ``ChatService`` and answer at most
``API_CONCURRENCY`` requests at once. When ``QA_API_KEY`` is set every request must carry it
as ``Authorization: Bearer <key>``; on a non-loopback address without it the routes refuse
every request (403) and the terminal says why; the chat page itself is unaffected.
"""

from __future__ import annotations

import contextlib
import hmac
import threading
import traceback
from dataclasses import dataclass

from qa import openai_api as oa
from qa.chat_service import ChatService, log
from qa.config import is_loopback
from qa.errors import UserError
from qa.mcp_server import API_CONCURRENCY, WAIT_S, build_server
from qa.records import Answer

MCP_PATH = "/mcp"
INTERNAL = oa.ApiError(500, "internal error (details in the server log)", "server_error")


@dataclass(frozen=True)
class Access:
    """Who may call the API: ``key`` is the required bearer token ("" for none); ``refused``
    says why the API is off ("" when on)."""

    key: str = ""
    refused: str = ""


def access_for(host: str, key: str, share: bool = False) -> Access:
    """The access rule for a server on ``host`` (``share``: also behind a public share link)."""
    if key:
        return Access(key)
    if is_loopback(host) and not share:
        return Access()
    where = "a public share link" if share else host
    return Access(refused=f"the API (/v1, /mcp) is off: the server is reachable on {where} and QA_API_KEY "
                          "is not set; set QA_API_KEY (clients send it as a bearer token) or bind 127.0.0.1")


def check_access(access: Access, authorization: str | None) -> oa.ApiError | None:
    """The error for a request with this ``Authorization`` header, or None if it may pass."""
    if access.refused:
        return oa.ApiError(403, access.refused, "permission_error", code="api_disabled")
    if not access.key:
        return None
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), access.key.encode()):
        return oa.ApiError(401, "missing or wrong API key: send the header Authorization: Bearer "
                           "<QA_API_KEY>", "authentication_error", code="invalid_api_key")
    return None


def error_response(exc: oa.ApiError):
    from starlette.responses import JSONResponse

    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse(exc.body(), exc.status, headers=headers)


def _ask(service: ChatService, req: oa.ChatRequest, gate: threading.Semaphore) -> dict:
    with gate:
        return service.ask(req.question, req.k, req.mode, req.model, list(req.history), WAIT_S)


def _start_stream(service: ChatService, req: oa.ChatRequest, cid: str, created: int):
    """The event iterator; a bad request or a still-loading model raises here (a 4xx/503)."""
    items = service.stream(req.question, req.k, req.mode, req.model, list(req.history), WAIT_S)
    answers = (x.to_dict() if isinstance(x, Answer) else x for x in items)
    return oa.stream_events(answers, req.model, cid, created, req.include_usage)


def _step(events, gate: threading.Semaphore) -> str | None:
    with gate:
        return next(events, None)


async def _events(events, gate: threading.Semaphore):
    """Server-sent events, each computed on a worker thread; an error ends the stream with
    an error event."""
    from starlette.concurrency import run_in_threadpool

    try:
        while (event := await run_in_threadpool(_step, events, gate)) is not None:
            yield event
    except UserError as exc:
        yield oa.stream_error(oa.from_user_error(exc))
    except Exception:  # noqa: BLE001 - a bug: the server log gets the traceback
        traceback.print_exc()
        yield oa.stream_error(INTERNAL)
    finally:
        events.close()


async def _read_body(request) -> bytes:
    size = request.headers.get("content-length", "")
    if size.isdigit() and int(size) > oa.MAX_BODY_BYTES:
        raise oa.ApiError(413, f"the request body is larger than {oa.MAX_BODY_BYTES} bytes", code="too_large")
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > oa.MAX_BODY_BYTES:
            raise oa.ApiError(413, f"the request body is larger than {oa.MAX_BODY_BYTES} bytes",
                              code="too_large")
        chunks.append(chunk)
    return b"".join(chunks)


def openai_routes(service: ChatService, access: Access, gate: threading.Semaphore) -> list:
    """``GET /v1/models`` and ``POST /v1/chat/completions`` as Starlette routes."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route

    async def models(request):
        if err := check_access(access, request.headers.get("authorization")):
            return error_response(err)
        return JSONResponse(oa.models_body(service.answerers()))

    async def chat_completions(request):
        if err := check_access(access, request.headers.get("authorization")):
            return error_response(err)
        try:
            req = oa.parse_request(await _read_body(request), service.answerers())
            cid, created = oa.new_id()
            if req.stream:
                events = await run_in_threadpool(_start_stream, service, req, cid, created)
                return StreamingResponse(_events(events, gate), media_type="text/event-stream",
                                         headers={"Cache-Control": "no-cache"})
            answer = await run_in_threadpool(_ask, service, req, gate)
            return JSONResponse(oa.completion_body(answer, req.model, cid, created))
        except oa.ApiError as exc:
            return error_response(exc)
        except UserError as exc:
            return error_response(oa.from_user_error(exc))
        except Exception:  # noqa: BLE001 - a bug: the server log gets the traceback
            traceback.print_exc()
            return error_response(INTERNAL)

    return [Route("/v1/models", models, methods=["GET"]),
            Route("/v1/chat/completions", chat_completions, methods=["POST"])]


class Guarded:
    """An ASGI app behind ``check_access`` (a class, so Starlette routes to it as an app)."""

    def __init__(self, app, access: Access):
        self.app, self.access = app, access

    async def __call__(self, scope, receive, send):
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if err := check_access(self.access, headers.get("authorization")):
            await error_response(err)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def mcp_http(service: ChatService, access: Access, gate: threading.Semaphore, host: str):
    """The MCP server as a streamable-HTTP ASGI app (stateless, JSON replies) and its session
    manager, which must run while the app serves."""
    from mcp.server.transport_security import TransportSecuritySettings

    server = build_server(service, gate)
    # On loopback the SDK checks Host/Origin against DNS rebinding; elsewhere the key guards it.
    security = None if is_loopback(host) else TransportSecuritySettings(enable_dns_rebinding_protection=False)
    app = server.streamable_http_app(streamable_http_path=MCP_PATH, stateless_http=True, json_response=True,
                                     max_request_body_size=oa.MAX_BODY_BYTES, transport_security=security,
                                     host=host)
    return Guarded(app, access), server.session_manager


def api_lifespan(service: ChatService, host: str, key: str = "", share: bool = False):
    """A lifespan for Gradio's app (``launch(app_kwargs={"lifespan": ...})``): adds the
    ``/v1`` routes and ``/mcp`` before the server accepts connections, runs the MCP session
    manager while it serves."""
    from starlette.routing import Route

    access = access_for(host, key, share)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        gate = threading.BoundedSemaphore(API_CONCURRENCY)
        mcp_app, manager = mcp_http(service, access, gate, host)
        app.router.routes.extend([*openai_routes(service, access, gate),
                                  Route(MCP_PATH, endpoint=mcp_app, methods=["GET", "POST", "DELETE"])])
        if access.refused:
            log(access.refused)
        async with manager.run():
            yield

    return lifespan
