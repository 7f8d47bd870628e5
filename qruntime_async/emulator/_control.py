"""The control routes under ``/_emulator`` (never faulted): stats, reset, faults, clock, config,
health, and seeding."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import web

from ._context import Context
from ._util import json_response, read_json_object, rfc3339_ms
from .config import FaultConfig

if TYPE_CHECKING:
    from ._server import Emulator

#: The fields ``POST /_emulator/seed`` accepts, and their types.
_SEED_FIELDS: dict[str, type | tuple[type, ...]] = {
    "ibm_jobs": int,
    "user_id": str,
    "instance": str,
    "backend": str,
    "spacing": (int, float),
    "tags": list,
}


class ControlRoutes:
    """Handlers acting on one emulator."""

    def __init__(self, emulator: Emulator, ctx: Context) -> None:
        self.emu = emulator
        self.ctx = ctx

    def add_routes(self, app: web.Application) -> None:
        """Register every control route."""
        r = app.router
        r.add_get("/_emulator/stats", self.stats)
        r.add_post("/_emulator/reset", self.reset)
        r.add_get("/_emulator/faults", self.get_faults)
        r.add_post("/_emulator/faults", self.set_faults)
        r.add_get("/_emulator/clock", self.clock)
        r.add_post("/_emulator/clock", self.clock)
        r.add_get("/_emulator/config", self.config)
        r.add_get("/_emulator/health", self.health)
        r.add_post("/_emulator/seed", self.seed)

    async def stats(self, request: web.Request) -> web.Response:
        """``GET /_emulator/stats``."""
        return json_response(self.emu.stats())

    async def reset(self, request: web.Request) -> web.Response:
        """``POST /_emulator/reset``."""
        self.emu.reset()
        return json_response({"reset": True})

    def _faults_json(self) -> dict[str, Any]:
        return msgspec.to_builtins(dataclasses.asdict(self.emu.faults))  # type: ignore[no-any-return]

    async def get_faults(self, request: web.Request) -> web.Response:
        """``GET /_emulator/faults``."""
        return json_response(self._faults_json())

    async def set_faults(self, request: web.Request) -> web.Response:
        """``POST /_emulator/faults``: replace the fault settings."""
        body, problem = await read_json_object(request)
        if body is None:
            return json_response({"error": problem}, 400)
        known = {f.name for f in dataclasses.fields(FaultConfig)}
        unknown = sorted(set(body) - known)
        if unknown:
            return json_response({"error": f"unknown fault settings: {unknown}"}, 400)
        try:
            new = msgspec.convert(body, FaultConfig)
            new.validate()
        except (msgspec.ValidationError, ValueError, TypeError) as exc:
            return json_response({"error": str(exc)}, 400)
        self.emu.set_faults(new)
        return json_response(self._faults_json())

    async def clock(self, request: web.Request) -> web.Response:
        """``GET|POST /_emulator/clock`` (``{"advance": s}``, ``{"speed": x}``)."""
        emu = self.emu
        if request.method == "POST":
            body, problem = await read_json_object(request)
            if body is None:
                return json_response({"error": problem}, 400)
            try:
                if "speed" in body:
                    emu.set_speed(float(body["speed"]))
                if "advance" in body:
                    emu.advance(float(body["advance"]))
            except (TypeError, ValueError) as exc:
                return json_response({"error": str(exc)}, 400)
        ctx = self.ctx
        return json_response(
            {"now": rfc3339_ms(ctx.now()), "epoch": ctx.now(), "speed": ctx.clock.speed}
        )

    async def config(self, request: web.Request) -> web.Response:
        """``GET /_emulator/config``: URLs and credentials."""
        base = f"{request.scheme}://{request.host}"
        emu = self.emu
        return json_response(
            {
                "urls": {"ibm": base + "/runtime", "scaleway": base, "iam": base},
                "credentials": dataclasses.asdict(emu.credentials),
                "speed": self.ctx.clock.speed,
                "seed": emu.config.seed,
            }
        )

    async def health(self, request: web.Request) -> web.Response:
        """``GET /_emulator/health``."""
        return json_response({"status": "ok"})

    async def seed(self, request: web.Request) -> web.Response:
        """``POST /_emulator/seed``: store many finished IBM jobs at once (see
        :meth:`Emulator.seed_ibm_jobs` for the fields)."""
        body, problem = await read_json_object(request)
        if body is None:
            return json_response({"error": problem}, 400)
        problem = _seed_problem(body)
        if problem is not None:
            return json_response({"error": problem}, 400)
        try:
            ids = self.emu.seed_ibm_jobs(
                body["ibm_jobs"],
                user_id=body.get("user_id"),
                instance=body.get("instance"),
                backend=body.get("backend"),
                spacing=float(body.get("spacing", 1.0)),
                tags=body.get("tags") or (),
            )
        except ValueError as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response(
            {
                "ibm_jobs": len(ids),
                "first_id": ids[0] if ids else None,
                "last_id": ids[-1] if ids else None,
            }
        )


def _seed_problem(body: dict[str, Any]) -> str | None:
    """Why a seeding request is malformed (None: it is not)."""
    unknown = sorted(set(body) - set(_SEED_FIELDS))
    if unknown:
        return f"unknown seed settings: {unknown}"
    if "ibm_jobs" not in body:
        return "ibm_jobs (the number of jobs to store) is required"
    for name, kind in _SEED_FIELDS.items():
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, kind)):
            return f"{name} has the wrong type"
    tags = body.get("tags") or []
    if not all(isinstance(t, str) for t in tags):
        return "tags must be a list of strings"
    return None
