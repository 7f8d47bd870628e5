"""How every request is served: counted, answered in its provider's error shapes, and faulted
as the fault settings say (:class:`RequestHandling`, the middleware of :class:`Emulator`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ._context import Context
from ._faults import FaultInjector, FaultPlan, gateway_page, gateway_reset, malformed_body
from ._util import JSON_CONTENT_TYPE, ApiError, json_response
from .ibm import (
    CODE_INTERNAL,
    CODE_METHOD,
    CODE_NOT_FOUND,
    CODE_RATE_LIMITED,
    CODE_UNAVAILABLE,
    IbmService,
)

__all__ = ["Handler", "RequestHandling"]

logger = logging.getLogger("qruntime_async.emulator")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_API_PROVIDERS = frozenset({"ibm", "scaleway", "iam", "ibm_cloud"})


def _provider_of(path: str) -> str:
    if path.startswith("/runtime"):
        return "ibm"
    if path.startswith("/qaas"):
        return "scaleway"
    if path.startswith("/identity"):
        return "iam"
    if path.startswith(("/global-search", "/global-catalog")):
        return "ibm_cloud"
    if path.startswith("/_emulator"):
        return "emulator"
    return "other"


class RequestHandling:
    """The aiohttp middleware of an emulator, with the error and fault answers it gives."""

    _ctx: Context
    _ibm: IbmService
    _faults: FaultInjector
    _counts: dict[tuple[str, str, int], int]

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        provider = _provider_of(path)
        status: int
        injector = self._faults
        if injector.active and provider in _API_PROVIDERS:
            plan = injector.plan(request.method, path)
            if plan is not None:
                try:
                    resp, status = await self._serve_faulted(request, handler, provider, plan)
                finally:
                    self._ctx.epoch += 1
                key = (provider, request.method, status)
                self._counts[key] = self._counts.get(key, 0) + 1
                return resp
        resp = await self._call(request, handler, provider)
        method = request.method
        if method != "GET":
            self._ctx.epoch += 1
        key = (provider, method, resp.status)
        self._counts[key] = self._counts.get(key, 0) + 1
        return resp

    async def _call(
        self, request: web.Request, handler: Handler, provider: str
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as exc:
            return exc.response()
        except web.HTTPException as exc:
            return self._http_error(provider, exc.status, exc.reason)
        except Exception:
            logger.exception("emulator handler failed: %s %s", request.method, request.path)
            return self._http_error(provider, 500, "Internal Server Error")

    def _http_error(self, provider: str, status: int, reason: str) -> web.Response:
        if provider == "ibm":
            code = {404: CODE_NOT_FOUND, 405: CODE_METHOD, 503: CODE_UNAVAILABLE}.get(
                status, CODE_INTERNAL
            )
            return json_response(self._ibm.errors.body(status, code, reason), status)
        if provider == "scaleway":
            kind = {404: "not_found", 405: "method_not_allowed"}.get(status, "internal_error")
            if status == 503:
                kind = "service_unavailable"
            return json_response({"message": reason.lower(), "type": kind}, status)
        if provider == "iam":
            return json_response(
                {"errorCode": f"BXNIM{status:04d}E", "errorMessage": reason}, status
            )
        return json_response({"error": reason, "status": status}, status)

    def _rate_limited(self, provider: str) -> web.Response:
        headers = self._faults.retry_after_headers()
        if provider == "ibm":
            body: Any = self._ibm.errors.body(
                429, CODE_RATE_LIMITED, "Too many requests; retry after the given delay"
            )
        elif provider == "scaleway":
            body = {"message": "too many requests", "type": "too_many_requests"}
        else:
            body = {"errorCode": "BXNIM0429E", "errorMessage": "Too many requests"}
        return json_response(body, 429, headers)

    def _server_error(self, provider: str, status: int) -> web.Response:
        if status in (502, 504):
            return gateway_page(status)
        reason = "Service Unavailable" if status == 503 else "Internal Server Error"
        return self._http_error(provider, status, reason)

    async def _serve_faulted(
        self, request: web.Request, handler: Handler, provider: str, plan: FaultPlan
    ) -> tuple[web.StreamResponse, int]:
        injector = self._faults
        if plan.delay > 0:
            if plan.spike:
                injector.count("latency_spike")
            await asyncio.sleep(plan.delay)
        kind = plan.kind
        if kind is None:
            resp = await self._call(request, handler, provider)
            return resp, resp.status
        if kind == "rate_limit":
            injector.count("rate_limit")
            resp = self._rate_limited(provider)
            return resp, resp.status
        if not plan.after:
            injector.count(kind)
            if kind == "error":
                resp = self._server_error(provider, plan.status)
                return resp, resp.status
            if kind == "disconnect":
                _abort(request)
                return web.Response(status=503), 0
            body = b'{"id": "' if kind == "truncate" else malformed_body(0.0)
            return web.Response(body=body, content_type=JSON_CONTENT_TYPE), 200
        resp = await self._call(request, handler, provider)
        return await self._spoil(request, resp, provider, plan)

    async def _spoil(
        self, request: web.Request, resp: web.StreamResponse, provider: str, plan: FaultPlan
    ) -> tuple[web.StreamResponse, int]:
        """Replace or break the answer of a request the server acted on."""
        injector = self._faults
        kind = plan.kind or ""
        if kind == "gateway_503":
            injector.count(kind)
            return gateway_reset(), 503
        if kind == "error":
            injector.count(kind)
            err = self._server_error(provider, plan.status)
            return err, err.status
        raw = resp.body if isinstance(resp, web.Response) else None
        body = raw if isinstance(raw, bytes) else b""
        if not body:
            if kind == "disconnect":
                injector.count(kind)
                _abort(request)
                return web.Response(status=503), 0
            return resp, resp.status
        injector.count(kind)
        if kind == "disconnect":
            partial = web.StreamResponse(status=resp.status, headers=resp.headers)
            partial.content_length = len(body)
            await partial.prepare(request)
            await partial.write(body[: max(1, len(body) // 2)])
            _abort(request)
            return partial, resp.status
        if kind == "truncate":
            cut = body[: max(1, len(body) // 2)]
            return web.Response(body=cut, status=resp.status, content_type=JSON_CONTENT_TYPE), (
                resp.status
            )
        garbage = malformed_body(len(body) % 2)
        return web.Response(body=garbage, status=resp.status, content_type=JSON_CONTENT_TYPE), (
            resp.status
        )


def _abort(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()
