"""Repository-wide test configuration."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import io
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from qruntime_async.cli import main

pytest_plugins = ["pytester"]

# The request-shape unit tests build answers with aioresponses, which only installs with an
# aiohttp it can drive (the `test` extra). With the `test-core` extra (any aiohttp, the newest
# included) they are left out and every other test runs.
_AIORESPONSES_MODULES = [
    "test_ibm_client.py",
    "test_ibm_iam.py",
    "test_ibm_watch.py",
    "test_reliability.py",
    "test_scaleway_client.py",
    "test_scaleway_spec.py",
    "test_transport.py",
]
collect_ignore: list[str] = []
if importlib.util.find_spec("aioresponses") is None:
    collect_ignore.extend(_AIORESPONSES_MODULES)


def pytest_report_header() -> list[str]:
    lines = [f"aiohttp {aiohttp.__version__}"]
    if collect_ignore:
        lines.append("aioresponses is not installed: left out " + ", ".join(collect_ignore))
    return lines


#: Every environment variable the ``qruntime`` command reads credentials or URLs from.
CLI_ENVIRONMENT = (
    "QRUNTIME_IBM_TOKEN",
    "QRUNTIME_IBM_INSTANCE",
    "QRUNTIME_IBM_URL",
    "QRUNTIME_IBM_API_KEY",
    "QRUNTIME_IBM_SERVICE_CRN",
    "QRUNTIME_IBM_IAM_URL",
    "SCW_SECRET_KEY",
    "SCW_DEFAULT_PROJECT_ID",
    "SCW_API_URL",
)


@pytest.fixture
def no_cli_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs the test without any of :data:`CLI_ENVIRONMENT` set."""
    for name in CLI_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


def run_cli(*argv: str) -> tuple[int, str, str]:
    """Runs ``qruntime *argv`` in-process: its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@contextlib.asynccontextmanager
async def serve_app(app: web.Application, *, shutdown_timeout: float = 60.0) -> AsyncIterator[str]:
    """Serves ``app`` on a free loopback port; yields its base URL.

    Leaving waits up to ``shutdown_timeout`` seconds for handlers still running.
    """
    runner = web.AppRunner(app, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def only_this_task() -> bool:
    """True when no task but the current one is left running."""
    return asyncio.all_tasks() == {asyncio.current_task()}
