"""Fixtures: a real emulator on 127.0.0.1 with a frozen virtual clock, and a raw HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import msgspec
import pytest

from qruntime_async.emulator import (
    IBM_TOKEN,
    SCALEWAY_SECRET_KEY,
    Emulator,
    EmulatorConfig,
)

BELL = (
    'OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; creg c[2]; '
    "h q[0]; cx q[0],q[1]; measure q -> c;"
)
SCW = "/qaas/v1alpha1"


@dataclass
class Reply:
    """One answer: status, headers, raw body and the decoded JSON (None if not JSON)."""

    status: int
    headers: dict[str, str]
    raw: bytes
    json: Any


class Api:
    """A thin raw-HTTP helper bound to one emulator."""

    def __init__(self, emu: Emulator, session: aiohttp.ClientSession) -> None:
        self.emu = emu
        self.session = session

    async def request(
        self, method: str, url: str, *, headers: dict[str, str] | None = None, **kw: Any
    ) -> Reply:
        async with self.session.request(method, url, headers=headers, **kw) as resp:
            raw = await resp.read()
            try:
                data = msgspec.json.decode(raw) if raw else None
            except msgspec.DecodeError:
                data = None
            return Reply(resp.status, dict(resp.headers), raw, data)

    async def ibm(self, method: str, path: str, token: str | None = IBM_TOKEN, **kw: Any) -> Reply:
        headers = dict(kw.pop("headers", {}) or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return await self.request(method, self.emu.ibm_url + path, headers=headers, **kw)

    async def scw(
        self, method: str, path: str, key: str | None = SCALEWAY_SECRET_KEY, **kw: Any
    ) -> Reply:
        headers = dict(kw.pop("headers", {}) or {})
        if key is not None:
            headers["X-Auth-Token"] = key
        return await self.request(method, self.emu.scaleway_url + SCW + path, headers=headers, **kw)

    async def ibm_job(self, token: str = IBM_TOKEN, **body: Any) -> str:
        payload: dict[str, Any] = {
            "program_id": "sampler",
            "backend": self.emu.ibm_backend,
            "params": {"pubs": [[BELL, None, 100]]},
        }
        payload.update(body)
        reply = await self.ibm("POST", "/jobs", token=token, json=payload)
        assert reply.status == 200, reply.json
        return str(reply.json["id"])


@pytest.fixture
def config() -> EmulatorConfig:
    """Frozen virtual time (speed 0): tests move it with ``emu.advance``."""
    return EmulatorConfig(speed=0, seed=1234)


@pytest.fixture
async def emu(config: EmulatorConfig) -> AsyncIterator[Emulator]:
    async with Emulator(config) as server:
        yield server


@pytest.fixture
async def api(emu: Emulator) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(emu, session)
