"""The emulator process: one aiohttp.web application serving both APIs, IAM and control routes."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from aiohttp import web

from ._circuits import simulator_available
from ._context import Context
from ._control import ControlRoutes
from ._credentials import Credentials
from ._faults import FaultInjector
from ._middleware import RequestHandling
from ._util import rfc3339_ms
from .config import EmulatorConfig, FaultConfig
from .ibm import IbmJobSnapshot, IbmService, IbmSessionSnapshot
from .scaleway import ScalewayJobSnapshot, ScalewayService, ScalewaySessionSnapshot

__all__ = ["Credentials", "Emulator"]

#: The most jobs one seeding call stores.
MAX_SEED = 1_000_000


class Emulator(RequestHandling):
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
