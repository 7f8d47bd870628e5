"""Seeded fault injection settings (re-exported by :mod:`.config`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class FaultConfig:
    """Seeded fault injection on API paths (``/runtime``, ``/qaas``, ``/identity``, and IBM
    Cloud's ``/global-search`` and ``/global-catalog``).

    Each API request draws once: with probability ``error_rate`` it gets one of
    ``error_statuses``; then ``rate_limit_rate`` gives a 429 with ``Retry-After``;
    ``disconnect_rate`` closes the connection after the headers and part of the body;
    ``truncate_rate`` sends a complete response whose JSON body is cut short;
    ``malformed_rate`` sends a complete response whose body is not JSON;
    ``gateway_503_rate`` lets the server act on the request (the job is created, the session
    closed ...) and replaces its answer with the plain-text 503 a gateway such as Envoy sends
    when the upstream reset before its headers reached it.
    Latency is added independently: ``latency`` always, plus ``spike_latency`` with
    probability ``spike_rate``. For methods that change state, ``after_action_rate`` is the
    fraction of error/disconnect/truncate/malformed faults injected after the server acted
    (the resource exists, but the answer is lost); a 503 drawn from ``error_statuses`` is the
    service refusing the request, so it always comes before the server acted. ``methods`` and
    ``path_prefixes`` restrict which requests can be faulted (prefixes are full paths, e.g.
    ``/runtime/jobs``); ``max_faults`` stops injecting after that many faults.
    """

    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503)
    rate_limit_rate: float = 0.0
    retry_after: float = 1.0
    disconnect_rate: float = 0.0
    truncate_rate: float = 0.0
    malformed_rate: float = 0.0
    gateway_503_rate: float = 0.0
    latency: float = 0.0
    spike_rate: float = 0.0
    spike_latency: float = 5.0
    after_action_rate: float = 0.5
    methods: tuple[str, ...] | None = None
    path_prefixes: tuple[str, ...] | None = None
    max_faults: int | None = None
    seed: int | None = None

    @property
    def active(self) -> bool:
        """True when any fault or latency can be injected."""
        return (
            self.error_rate > 0
            or self.rate_limit_rate > 0
            or self.disconnect_rate > 0
            or self.truncate_rate > 0
            or self.malformed_rate > 0
            or self.gateway_503_rate > 0
            or self.latency > 0
            or self.spike_rate > 0
        ) and (self.max_faults is None or self.max_faults > 0)

    def validate(self) -> None:
        """Raise ValueError when a rate or duration is out of range."""
        rates = {
            "error_rate": self.error_rate,
            "rate_limit_rate": self.rate_limit_rate,
            "disconnect_rate": self.disconnect_rate,
            "truncate_rate": self.truncate_rate,
            "malformed_rate": self.malformed_rate,
            "gateway_503_rate": self.gateway_503_rate,
            "spike_rate": self.spike_rate,
            "after_action_rate": self.after_action_rate,
        }
        for name, value in rates.items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
        total = sum(
            (
                self.error_rate,
                self.rate_limit_rate,
                self.disconnect_rate,
                self.truncate_rate,
                self.malformed_rate,
                self.gateway_503_rate,
            )
        )
        if total > 1.0 + 1e-9:
            raise ValueError(f"the fault rates add up to {total}, more than 1")
        for name, value in (
            ("latency", self.latency),
            ("spike_latency", self.spike_latency),
            ("retry_after", self.retry_after),
        ):
            if value < 0:
                raise ValueError(f"{name} cannot be negative, got {value!r}")
        if not self.error_statuses:
            raise ValueError("error_statuses cannot be empty")
        for status in self.error_statuses:
            if not 500 <= status <= 599:
                raise ValueError(f"error_statuses must be 5xx codes, got {status!r}")
        if self.max_faults is not None and self.max_faults < 0:
            raise ValueError("max_faults cannot be negative")
