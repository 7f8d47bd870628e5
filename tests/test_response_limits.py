"""Answers longer than the allowed size are refused, without reading them whole."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from qruntime_async import ClientOptions, ResponseTooLargeError
from qruntime_async._transport import BaseClient

from .conftest import serve_app

LIMIT = 64 * 1024


class PlainClient(BaseClient):
    pass


@pytest.fixture
async def hostile_server() -> AsyncIterator[tuple[str, dict[str, int]]]:
    sent = {"endless": 0}

    async def big(request: web.Request) -> web.Response:
        return web.json_response({"blob": "x" * (4 * LIMIT)})

    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            for _ in range(10_000):  # bounded: the test server stops by itself
                await response.write(b" " * 8192)
                sent["endless"] += 8192
                await asyncio.sleep(0)
        except (ConnectionResetError, RuntimeError):
            pass
        return response

    async def small(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/big", big)
    app.router.add_get("/endless", endless)
    app.router.add_get("/small", small)
    async with serve_app(app) as url:
        yield url, sent


async def test_a_body_over_the_limit_raises_a_typed_error(
    hostile_server: tuple[str, dict[str, int]],
) -> None:
    url, _ = hostile_server
    async with PlainClient(base_url=url, options=ClientOptions(max_response_bytes=LIMIT)) as client:
        with pytest.raises(ResponseTooLargeError, match=f"limit of {LIMIT} bytes") as caught:
            await client._request("GET", "/big", cast_to=dict)
        assert caught.value.limit == LIMIT
        assert caught.value.attempts == 1  # never retried: it would only come back as large
        assert await client._request("GET", "/small", cast_to=dict) == {"ok": True}
        # A call may allow more than the client's default.
        document = await client._request("GET", "/big", cast_to=dict, max_bytes=8 * LIMIT)
        assert len(document["blob"]) == 4 * LIMIT


async def test_an_endless_body_stops_at_the_limit(
    hostile_server: tuple[str, dict[str, int]],
) -> None:
    url, sent = hostile_server
    async with PlainClient(base_url=url, options=ClientOptions(max_response_bytes=LIMIT)) as client:
        with pytest.raises(ResponseTooLargeError):
            await client._request("GET", "/endless", cast_to=bytes)
    # Reading stopped near the limit instead of buffering the whole stream.
    assert sent["endless"] < 10_000 * 8192


def test_the_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_response_bytes"):
        ClientOptions(max_response_bytes=0)
