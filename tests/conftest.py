"""Repository-wide test configuration."""

from __future__ import annotations

import importlib.util

import aiohttp

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
