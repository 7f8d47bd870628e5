"""Running the emulator as a standalone server: argparse helpers and ``run_forever``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

from ._server import Emulator
from .config import EmulatorConfig, FaultConfig

DEFAULT_CLI_PORT = 8765


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the emulator's options (``--port``, ``--speed``, ``--seed``, ``--quiet``, faults ...).

    Turn the parsed namespace into a configuration with :func:`config_from_args`, then call
    ``run_forever(config, quiet=ns.quiet)``.
    """
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_CLI_PORT, help="port (0 picks a free one)"
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="virtual-time factor: 60 makes one real second a virtual minute",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of every random draw")
    parser.add_argument(
        "--job-failure-rate", type=float, default=0.0, help="fraction of jobs that fail"
    )
    parser.add_argument(
        "--iam-token-lifetime", type=float, default=3600.0, help="IAM token lifetime (s)"
    )
    parser.add_argument(
        "--ibm-error-style",
        choices=("errors", "legacy"),
        default="errors",
        help="IBM error body format",
    )
    parser.add_argument(
        "--ibm-job-rate-limit",
        type=int,
        default=None,
        help="job creations allowed per user per minute (default: unlimited)",
    )
    parser.add_argument(
        "--strict-isa",
        action="store_true",
        help="refuse IBM circuits using gates outside the backend's basis gates (as IBM does)",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="print only the listening URL, not the credentials"
    )
    _add_fault_arguments(parser.add_argument_group("fault injection (API paths only)"))
    return parser


def _add_fault_arguments(faults: argparse._ArgumentGroup) -> None:
    faults.add_argument(
        "--fault-rate", type=float, default=0.0, help="fraction of 500/502/503 answers"
    )
    faults.add_argument(
        "--rate-limit-rate", type=float, default=0.0, help="fraction of 429 answers"
    )
    faults.add_argument(
        "--retry-after", type=float, default=1.0, help="Retry-After hint of the 429s (s)"
    )
    faults.add_argument(
        "--disconnect-rate",
        type=float,
        default=0.0,
        help="fraction of connections closed mid-response",
    )
    faults.add_argument(
        "--truncate-rate", type=float, default=0.0, help="fraction of truncated JSON bodies"
    )
    faults.add_argument(
        "--malformed-rate", type=float, default=0.0, help="fraction of non-JSON bodies"
    )
    faults.add_argument(
        "--gateway-503-rate",
        type=float,
        default=0.0,
        help="fraction of requests acted on, then answered with a gateway (Envoy) 503",
    )
    faults.add_argument("--latency", type=float, default=0.0, help="added latency (s)")
    faults.add_argument(
        "--spike-rate", type=float, default=0.0, help="probability of a latency spike"
    )
    faults.add_argument("--spike-latency", type=float, default=5.0, help="spike length (s)")
    faults.add_argument(
        "--fault-after-rate",
        type=float,
        default=0.5,
        help="fraction of faults on state-changing calls injected after the server acted",
    )
    faults.add_argument(
        "--fault-methods", default=None, help="comma-separated methods to fault (default: all)"
    )
    faults.add_argument(
        "--fault-paths",
        default=None,
        help="comma-separated path prefixes to fault, e.g. /runtime/jobs (default: all)",
    )
    faults.add_argument(
        "--max-faults", type=int, default=None, help="stop injecting after this many faults"
    )


def _split(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(part.strip() for part in text.split(",") if part.strip())


def config_from_args(ns: argparse.Namespace) -> EmulatorConfig:
    """An EmulatorConfig from options added by :func:`add_arguments`; ValueError if invalid."""
    faults = FaultConfig(
        error_rate=ns.fault_rate,
        rate_limit_rate=ns.rate_limit_rate,
        retry_after=ns.retry_after,
        disconnect_rate=ns.disconnect_rate,
        truncate_rate=ns.truncate_rate,
        malformed_rate=ns.malformed_rate,
        gateway_503_rate=ns.gateway_503_rate,
        latency=ns.latency,
        spike_rate=ns.spike_rate,
        spike_latency=ns.spike_latency,
        after_action_rate=ns.fault_after_rate,
        methods=_split(ns.fault_methods),
        path_prefixes=_split(ns.fault_paths),
        max_faults=ns.max_faults,
    )
    config = EmulatorConfig(
        host=ns.host,
        port=ns.port,
        speed=ns.speed,
        seed=ns.seed,
        job_failure_rate=ns.job_failure_rate,
        iam_token_lifetime=ns.iam_token_lifetime,
        ibm_error_style=ns.ibm_error_style,
        ibm_job_rate_limit=ns.ibm_job_rate_limit,
        ibm_strict_isa=ns.strict_isa,
        faults=faults,
    )
    config.validate()
    return config


def banner(emu: Emulator) -> str:
    """What to tell the user once the emulator listens: URLs and credentials."""
    c = emu.credentials
    lines = [
        f"qruntime emulator listening on {emu.url}",
        f"  speed x{emu.config.speed:g}, seed {emu.config.seed}",
        "",
        "IBM Quantum Runtime",
        f"  base URL        {emu.ibm_url}",
        f"  token           {c.ibm_token}   (instance {c.ibm_instance})",
    ]
    if c.ibm_other_token:
        lines.append(f"  other token     {c.ibm_other_token}   (instance {c.ibm_other_instance})")
    if c.ibm_admin_token:
        lines.append(f"  admin token     {c.ibm_admin_token}   (hub admin of {c.ibm_admin_hub})")
    if c.ibm_api_key:
        lines += [
            f"  IAM URL         {emu.iam_url}",
            f"  API key         {c.ibm_api_key}",
            f"  Service-CRN     {c.ibm_service_crn}",
            *qiskit_settings(emu),
        ]
    lines += [
        f"  backend         {c.ibm_backend}",
        "",
        "Scaleway QaaS",
        f"  API URL         {emu.scaleway_url}  (paths /qaas/v1alpha1/...)",
        f"  secret key      {c.scaleway_secret_key}",
        f"  project id      {c.scaleway_project_id}",
        f"  platform id     {c.scaleway_platform_id}  (Qiskit Aer simulator)",
    ]
    if c.scaleway_photonic_platform_id:
        lines.append(f"  photonic        {c.scaleway_photonic_platform_id}")
    lines += [
        "",
        f"Control: {emu.url}/_emulator/stats, /_emulator/faults, /_emulator/reset",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def qiskit_settings(emu: Emulator) -> list[str]:
    """How to point qiskit-ibm-runtime's ``QiskitRuntimeService`` at the emulator."""
    return [
        "  qiskit-ibm-runtime:",
        f"    export IAM_URL={emu.iam_url}",
        f"    export GLOBAL_SEARCH_URL={emu.global_search_url}",
        f"    export GLOBAL_CATALOG_URL={emu.global_catalog_url}",
        "    QiskitRuntimeService(channel='ibm_quantum_platform', token=<API key>,",
        f"        instance=<Service-CRN>, url='{emu.ibm_url}',",
        "        url_resolver=lambda url, *_: url)",
    ]


async def serve(config: EmulatorConfig, *, quiet: bool = False) -> None:
    """Run the emulator until SIGINT or SIGTERM (or cancellation)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        async with Emulator(config) as emu:
            if not quiet:
                sys.stdout.write(banner(emu) + "\n")
            else:
                sys.stdout.write(f"qruntime emulator listening on {emu.url}\n")
            sys.stdout.flush()
            await stop.wait()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def run_forever(config: EmulatorConfig, *, quiet: bool = False) -> None:
    """Serve ``config`` in a new event loop until Ctrl-C or SIGTERM, printing the URLs and the
    credentials to use. Blocks; returns once stopped."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(config, quiet=quiet))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m qruntime_async.emulator [--port ...]``."""
    parser = argparse.ArgumentParser(
        prog="python -m qruntime_async.emulator",
        description="Local emulator of IBM Quantum Runtime and Scaleway QaaS.",
    )
    add_arguments(parser)
    ns = parser.parse_args(argv)
    try:
        config = config_from_args(ns)
    except ValueError as exc:
        parser.error(str(exc))
    run_forever(config, quiet=ns.quiet)
    return 0
