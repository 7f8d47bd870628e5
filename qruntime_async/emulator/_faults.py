"""Seeded fault injection: server errors, 429s, latency, broken connections, bad bodies."""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass

from aiohttp import web

from .config import FaultConfig

#: Methods whose faults may happen after the server acted.
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

KINDS = ("error", "rate_limit", "disconnect", "truncate", "malformed", "gateway_503")

#: What Envoy answers when the upstream connection reset before the response headers.
ENVOY_RESET_BODY = (
    "upstream connect error or disconnect/reset before headers. "
    "reset reason: connection termination"
)


@dataclass(slots=True)
class FaultPlan:
    """What to do to one request."""

    kind: str | None
    status: int = 0
    after: bool = False
    delay: float = 0.0
    spike: bool = False


class FaultInjector:
    """Draws, for each API request, whether and how to break it (reproducible from the seed)."""

    def __init__(self, config: FaultConfig, seed: int) -> None:
        config.validate()
        self.config = config
        self._rng = random.Random(f"faults:{config.seed if config.seed is not None else seed}")
        self.injected: Counter[str] = Counter()
        self._remaining = config.max_faults
        self.active = config.active
        self._methods = (
            frozenset(m.upper() for m in config.methods) if config.methods is not None else None
        )
        self._prefixes = tuple(config.path_prefixes) if config.path_prefixes is not None else None

    def plan(self, method: str, path: str) -> FaultPlan | None:
        """The fault for this request, or None to serve it normally."""
        cfg = self.config
        if self._methods is not None and method not in self._methods:
            return None
        if self._prefixes is not None and not path.startswith(self._prefixes):
            return None
        if self._remaining is not None and self._remaining <= 0:
            return None
        rng = self._rng
        draw = rng.random()
        kind: str | None = None
        edge = 0.0
        for name, rate in (
            ("error", cfg.error_rate),
            ("rate_limit", cfg.rate_limit_rate),
            ("disconnect", cfg.disconnect_rate),
            ("truncate", cfg.truncate_rate),
            ("malformed", cfg.malformed_rate),
            ("gateway_503", cfg.gateway_503_rate),
        ):
            edge += rate
            if draw < edge:
                kind = name
                break
        delay = cfg.latency
        spike = cfg.spike_rate > 0 and rng.random() < cfg.spike_rate
        if spike:
            delay += cfg.spike_latency
        if kind is None and not spike and delay <= 0:
            return None
        plan = FaultPlan(kind=kind, delay=delay, spike=spike)
        if kind == "error":
            plan.status = cfg.error_statuses[rng.randrange(len(cfg.error_statuses))]
        if kind == "rate_limit":
            plan.status = 429
        elif kind == "gateway_503":
            plan.status = 503
            plan.after = True
        elif kind is not None:
            if method in MUTATING:
                # The service's own 503 refuses the request before acting on it; a 503 after
                # acting comes from a gateway (the ``gateway_503`` kind).
                plan.after = rng.random() < cfg.after_action_rate and plan.status != 503
            else:
                plan.after = kind in ("disconnect", "truncate", "malformed")
        if (kind is not None or spike) and self._remaining is not None:
            self._remaining -= 1
        return plan

    def count(self, kind: str) -> None:
        """Record one injected fault."""
        self.injected[kind] += 1

    def retry_after_headers(self) -> dict[str, str]:
        """``Retry-After`` (whole seconds, rounded up) and ``retry-after-ms``."""
        seconds = self.config.retry_after
        return {
            "Retry-After": str(math.ceil(seconds)),
            "retry-after-ms": str(round(seconds * 1000)),
        }


def malformed_body(rng_value: float) -> bytes:
    """A body that is not JSON although it is announced as JSON."""
    if rng_value < 0.5:
        return b"<html><body><h1>Upstream error</h1></body></html>"
    return b'{"id": "emulated", "status": , "tags": [}'


def gateway_reset() -> web.Response:
    """The 503 Envoy sends when the upstream reset after acting, before its headers arrived."""
    return web.Response(
        status=503,
        text=ENVOY_RESET_BODY,
        content_type="text/plain",
        headers={"Server": "envoy"},
    )


def gateway_page(status: int) -> web.Response:
    """An HTML error page as a proxy in front of the service would send it."""
    reason = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}.get(
        status, "Server Error"
    )
    return web.Response(
        status=status,
        text=f"<html><head><title>{status} {reason}</title></head>"
        f"<body><h1>{status} {reason}</h1></body></html>",
        content_type="text/html",
    )
