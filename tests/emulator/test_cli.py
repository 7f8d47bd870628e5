"""The standalone entry points: argparse helpers and ``python -m qruntime_async.emulator``."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

import aiohttp
import pytest

from qruntime_async.emulator import (
    IBM_TOKEN,
    Emulator,
    add_arguments,
    banner,
    config_from_args,
)


def parse(*argv: str) -> argparse.Namespace:
    return add_arguments(argparse.ArgumentParser()).parse_args(list(argv))


def test_defaults_and_flags_become_a_config() -> None:
    default = config_from_args(parse())
    assert (default.host, default.port, default.speed, default.seed) == ("127.0.0.1", 8765, 1.0, 0)
    assert not default.faults.active
    config = config_from_args(
        parse(
            "--port",
            "0",
            "--speed",
            "60",
            "--seed",
            "7",
            "--fault-rate",
            "0.1",
            "--rate-limit-rate",
            "0.05",
            "--retry-after",
            "0.5",
            "--gateway-503-rate",
            "0.02",
            "--latency",
            "0.01",
            "--fault-methods",
            "POST,GET",
            "--fault-paths",
            "/runtime/jobs",
            "--max-faults",
            "3",
            "--iam-token-lifetime",
            "5",
        )
    )
    assert (config.port, config.speed, config.seed) == (0, 60.0, 7)
    assert config.faults.error_rate == 0.1
    assert config.faults.rate_limit_rate == 0.05
    assert config.faults.retry_after == 0.5
    assert config.faults.gateway_503_rate == 0.02
    assert config.faults.methods == ("POST", "GET")
    assert config.faults.path_prefixes == ("/runtime/jobs",)
    assert config.faults.max_faults == 3
    assert config.iam_token_lifetime == 5


def test_inconsistent_flags_are_rejected() -> None:
    with pytest.raises(ValueError, match="add up"):
        config_from_args(parse("--fault-rate", "0.7", "--disconnect-rate", "0.6"))
    with pytest.raises(ValueError, match="speed"):
        config_from_args(parse("--speed", "-1"))


async def test_banner_names_urls_and_credentials() -> None:
    async with Emulator(port=0) as emu:
        text = banner(emu)
    assert emu.ibm_url in text
    assert IBM_TOKEN in text
    assert f"export GLOBAL_SEARCH_URL={emu.global_search_url}" in text
    assert emu.scaleway_secret_key in text


async def test_module_runs_and_stops_on_sigterm() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "qruntime_async.emulator",
        "--port",
        "0",
        "--speed",
        "100",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        first = await asyncio.wait_for(proc.stdout.readline(), 20)
        assert first.startswith(b"qruntime emulator listening on http://127.0.0.1:")
        url = first.decode().rsplit(" ", 1)[1].strip()
        async with aiohttp.ClientSession() as session:
            async with session.get(
                url + "/runtime/jobs", headers={"Authorization": f"Bearer {IBM_TOKEN}"}
            ) as r:
                assert r.status == 200
            async with session.get(url + "/_emulator/config") as r:
                assert (await r.json())["urls"]["ibm"] == url + "/runtime"
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 20) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
