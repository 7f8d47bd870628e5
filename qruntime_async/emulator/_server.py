"""The emulator process: one aiohttp.web application serving both APIs, IAM and control routes."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

from ._circuits import simulator_available
from ._context import Context
from ._control import ControlRoutes
from ._faults import FaultInjector, FaultPlan, gateway_page, gateway_reset, malformed_body
from ._util import JSON_CONTENT_TYPE, ApiError, json_response, rfc3339_ms
from .config import EmulatorConfig, FaultConfig
from .ibm import (
    CODE_INTERNAL,
    CODE_METHOD,
    CODE_NOT_FOUND,
    CODE_RATE_LIMITED,
    CODE_UNAVAILABLE,
    IbmJobSnapshot,
    IbmService,
    IbmSessionSnapshot,
)
from .scaleway import ScalewayJobSnapshot, ScalewayService, ScalewaySessionSnapshot

__all__ = ["Credentials", "Emulator"]

logger = logging.getLogger("qruntime_async.emulator")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_API_PROVIDERS = frozenset({"ibm", "scaleway", "iam", "ibm_cloud"})

#: The most jobs one seeding call stores.
MAX_SEED = 1_000_000


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


@dataclass(frozen=True, kw_only=True)
class Credentials:
    """The credentials and names a client needs to talk to one emulator (from its config)."""

    ibm_token: str
    ibm_user_id: str
    ibm_instance: str
    ibm_other_token: str | None
    ibm_other_instance: str | None
    ibm_admin_token: str | None
    ibm_admin_hub: str | None
    ibm_api_key: str | None
    ibm_service_crn: str | None
    ibm_backend: str
    scaleway_secret_key: str
    scaleway_access_key: str
    scaleway_project_id: str
    scaleway_other_secret_key: str | None
    scaleway_other_project_id: str | None
    scaleway_platform_id: str
    scaleway_photonic_platform_id: str | None

    @classmethod
    def from_config(cls, config: EmulatorConfig) -> Credentials:
        """Pick the first member user, a member of another instance, an admin, and the first two
        Scaleway projects (empty strings where the configuration has none)."""
        members = [u for u in config.ibm_users if u.instances]
        admins = [u for u in config.ibm_users if u.admin_hubs]
        main = members[0] if members else None
        other = None
        if main is not None:
            other = next((u for u in members[1:] if u.instances[0] != main.instances[0]), None)
        crn = None
        if main is not None:
            crn = next(
                (i.crn for i in config.ibm_instances if i.name == main.instances[0] and i.crn),
                None,
            )
        platforms = config.scaleway_platforms
        general = next((p for p in platforms if p.technology != "photonic"), None)
        photonic = next((p for p in platforms if p.technology == "photonic"), None)
        projects = config.scaleway_projects
        first = projects[0] if projects else None
        second = projects[1] if len(projects) > 1 else None
        return cls(
            ibm_token=main.token if main else "",
            ibm_user_id=main.user_id if main else "",
            ibm_instance=main.instances[0] if main else "",
            ibm_other_token=other.token if other else None,
            ibm_other_instance=other.instances[0] if other else None,
            ibm_admin_token=admins[0].token if admins else None,
            ibm_admin_hub=admins[0].admin_hubs[0] if admins else None,
            ibm_api_key=main.api_keys[0] if main and main.api_keys else None,
            ibm_service_crn=crn,
            ibm_backend=config.ibm_backends[0].name if config.ibm_backends else "",
            scaleway_secret_key=first.secret_key if first else "",
            scaleway_access_key=first.access_key if first else "",
            scaleway_project_id=first.project_id if first else "",
            scaleway_other_secret_key=second.secret_key if second else None,
            scaleway_other_project_id=second.project_id if second else None,
            scaleway_platform_id=general.id if general else "",
            scaleway_photonic_platform_id=photonic.id if photonic else None,
        )


class Emulator:
    """A local server emulating IBM Quantum Runtime, IBM Cloud IAM and Scaleway QaaS.

    Use ``async with Emulator(config) as emu:``; it listens on ``config.host`` and a free port
    (``port=0``). The IBM base URL is :attr:`ibm_url`, Scaleway's :attr:`scaleway_url`, IAM's
    :attr:`iam_url`.
    """

    def __init__(self, config: EmulatorConfig | None = None, **changes: Any) -> None:
        cfg = config if config is not None else EmulatorConfig()
        if changes:
            cfg = dataclasses.replace(cfg, **changes)
        cfg.validate()
        self.config = cfg
        self.credentials = Credentials.from_config(cfg)
        self._ctx = Context(cfg)
        self._ibm = IbmService(self._ctx)
        self._scw = ScalewayService(self._ctx)
        self._faults = FaultInjector(cfg.faults, cfg.seed)
        self._counts: dict[tuple[str, str, int], int] = {}
        self._started_mono = time.monotonic()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._app = self._build_app()

    # --- lifecycle ----------------------------------------------------------------------------

    @property
    def app(self) -> web.Application:
        """The aiohttp application (to run it another way)."""
        return self._app

    async def start(self) -> None:
        """Listen on the configured host and port."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already started")
        # looking for Qiskit Aer touches the file system: do it once, off the event loop
        await asyncio.to_thread(simulator_available)
        runner = web.AppRunner(
            self._app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.config.host, self.config.port, backlog=1024)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        address = runner.addresses[0]
        self._port = int(address[1])
        self._started_mono = time.monotonic()

    async def close(self) -> None:
        """Stop listening and close every connection (idempotent)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # --- addresses and credentials ------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port it listens on."""
        if self._port is None:
            raise RuntimeError("the emulator is not started")
        return self._port

    @property
    def url(self) -> str:
        """``http://host:port`` (no trailing slash)."""
        host = self.config.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def ibm_url(self) -> str:
        """IBM Quantum Runtime base URL (``.../runtime``)."""
        return self.url + "/runtime"

    @property
    def scaleway_url(self) -> str:
        """Scaleway API base URL (paths start with ``/qaas/v1alpha1``)."""
        return self.url

    @property
    def iam_url(self) -> str:
        """IBM Cloud IAM base URL (the token endpoint is ``/identity/token``)."""
        return self.url

    @property
    def global_search_url(self) -> str:
        """IBM Cloud Global Search base URL (for the ``GLOBAL_SEARCH_URL`` variable)."""
        return self.url + "/global-search"

    @property
    def global_catalog_url(self) -> str:
        """IBM Cloud Global Catalog base URL (for the ``GLOBAL_CATALOG_URL`` variable)."""
        return self.url + "/global-catalog"

    @property
    def ibm_token(self) -> str:
        """Bearer token of the default IBM user."""
        return self.credentials.ibm_token

    @property
    def ibm_instance(self) -> str:
        """The default IBM user's instance (``hub/group/project``)."""
        return self.credentials.ibm_instance

    @property
    def ibm_backend(self) -> str:
        """The default IBM backend name."""
        return self.credentials.ibm_backend

    @property
    def scaleway_secret_key(self) -> str:
        """Secret key of the default Scaleway project."""
        return self.credentials.scaleway_secret_key

    @property
    def scaleway_project_id(self) -> str:
        """The default Scaleway project id."""
        return self.credentials.scaleway_project_id

    @property
    def scaleway_platform_id(self) -> str:
        """A general-purpose (Qiskit Aer) simulator platform id."""
        return self.credentials.scaleway_platform_id

    # --- control ------------------------------------------------------------------------------

    def reset(self) -> None:
        """Drop every job, session, model, IAM token and counter; keep the configuration."""
        self._ibm.reset()
        self._scw.reset()
        self._ctx.reset()
        self._counts.clear()
        self._faults = FaultInjector(self._faults.config, self.config.seed)

    @property
    def faults(self) -> FaultConfig:
        """The fault settings in force."""
        return self._faults.config

    def set_faults(self, faults: FaultConfig | None = None, /, **changes: Any) -> FaultConfig:
        """Replace the fault settings (``faults``, else defaults) with ``changes`` applied.

        ``set_faults()`` turns every fault off. The fault counters and the draw sequence
        restart.
        """
        base = faults if faults is not None else FaultConfig()
        new = dataclasses.replace(base, **changes) if changes else base
        self._faults = FaultInjector(new, self.config.seed)
        return new

    def now(self) -> float:
        """Current virtual time (POSIX seconds)."""
        return self._ctx.now()

    def advance(self, seconds: float) -> None:
        """Move virtual time forward by ``seconds``."""
        self._ctx.clock.advance(seconds)

    def set_speed(self, speed: float) -> None:
        """Change the virtual-time factor from now on."""
        self._ctx.clock.set_speed(speed)

    def stats(self) -> dict[str, Any]:
        """Requests served (by provider, method and status) and faults injected (by kind)."""
        by_provider: dict[str, int] = {}
        by_method: dict[str, int] = {}
        by_status: dict[str, int] = {}
        detail = []
        total = 0
        for (provider, method, status), n in sorted(self._counts.items()):
            total += n
            by_provider[provider] = by_provider.get(provider, 0) + n
            by_method[method] = by_method.get(method, 0) + n
            by_status[str(status)] = by_status.get(str(status), 0) + n
            detail.append({"provider": provider, "method": method, "status": status, "count": n})
        injected = dict(sorted(self._faults.injected.items()))
        return {
            "requests": {
                "total": total,
                "by_provider": by_provider,
                "by_method": by_method,
                "by_status": by_status,
                "detail": detail,
            },
            "faults": {"total": sum(injected.values()), "by_kind": injected},
            "resources": {
                "ibm_jobs": len(self._ibm.jobs),
                "ibm_sessions": len(self._ibm.sessions),
                "scaleway_jobs": len(self._scw.jobs),
                "scaleway_sessions": len(self._scw.sessions),
                "scaleway_models": len(self._scw.models),
            },
            "virtual_time": rfc3339_ms(self._ctx.now()),
            "speed": self._ctx.clock.speed,
            "uptime_seconds": round(time.monotonic() - self._started_mono, 3),
        }

    def seed_ibm_jobs(
        self,
        count: int,
        *,
        user_id: str | None = None,
        instance: str | None = None,
        backend: str | None = None,
        spacing: float = 1.0,
        tags: Sequence[str] = (),
    ) -> list[str]:
        """Store ``count`` finished IBM jobs at once and return their ids, oldest first.

        For listings and benchmarks that need many workloads: the jobs are Completed sampler
        jobs outside any session, created ``spacing`` virtual seconds apart (the last one
        ``spacing`` seconds ago), owned by ``user_id`` (default: the default user) in
        ``instance`` (default: that user's first instance), on ``backend`` (default: the first
        backend). Also over HTTP: ``POST /_emulator/seed`` with the same fields and
        ``ibm_jobs`` for ``count``. ValueError when an argument names nothing configured.
        """
        cfg = self.config
        if not 0 <= count <= MAX_SEED:
            raise ValueError(f"count must be between 0 and {MAX_SEED}")
        if not spacing > 0:
            raise ValueError("spacing must be a positive number of seconds")
        uid = user_id if user_id is not None else self.credentials.ibm_user_id
        user = next((u for u in cfg.ibm_users if u.user_id == uid), None)
        if user is None:
            raise ValueError(f"no IBM user {uid!r}")
        inst = instance if instance is not None else (user.instances or ("",))[0]
        if inst not in user.instances:
            raise ValueError(f"user {uid!r} is not a member of instance {inst!r}")
        name = backend if backend is not None else self.credentials.ibm_backend
        if name not in {b.name for b in cfg.ibm_backends}:
            raise ValueError(f"no IBM backend {name!r}")
        jobs = self._ibm.store.seed_jobs(count, uid, inst, name, spacing, tags)
        return [j.id for j in jobs]

    # --- server-side state, for tests ---------------------------------------------------------

    def ibm_jobs(self) -> list[IbmJobSnapshot]:
        """Every IBM job the server holds, with its current status, oldest first."""
        return self._ibm.job_snapshots()

    def ibm_sessions(self) -> list[IbmSessionSnapshot]:
        """Every IBM session the server holds, oldest first."""
        return self._ibm.session_snapshots()

    def scaleway_jobs(self) -> list[ScalewayJobSnapshot]:
        """Every Scaleway job the server holds, oldest first."""
        return self._scw.job_snapshots()

    def scaleway_sessions(self) -> list[ScalewaySessionSnapshot]:
        """Every Scaleway session the server holds, oldest first."""
        return self._scw.session_snapshots()

    # --- application --------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024**2)
        self._ibm.add_routes(app)
        self._scw.add_routes(app)
        ControlRoutes(self, self._ctx).add_routes(app)
        return app

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
