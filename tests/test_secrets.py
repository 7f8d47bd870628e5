"""Credentials stay out of errors, causes, reprs and ``vars()``, even in odd places."""

from __future__ import annotations

import asyncio
import pickle
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web

from qruntime_async import IBMRuntimeClient, ScalewayQaaSClient, errors
from qruntime_async.ibm import BearerToken, IAMAuth

from .conftest import serve_app

TOKEN = "ibm-token-0f9e8d7c6b5a4f3e2d1c"
SCW_KEY = "scw-secret-11112222-3333-4444-5555-666677778888"
API_KEY = "iam-api-key-aaaabbbbccccdddd"

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def raw_server(handler: Handler) -> tuple[asyncio.Server, str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


def everything_about(error: BaseException) -> str:
    """All a user could print of an error: message, repr, chain, arguments of every cause."""
    parts = ["".join(traceback.format_exception(error))]
    seen: BaseException | None = error
    while seen is not None:
        parts += [str(seen), repr(seen), repr(seen.args), repr(vars(seen))]
        info = getattr(seen, "request_info", None)
        if info is not None:
            parts.append(repr(info))
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


async def test_a_malformed_answer_leaves_no_token_in_the_errors_cause() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 ABC not a status\r\n\r\n")
        await writer.drain()
        writer.close()

    server, url = await raw_server(garbage)
    try:
        async with IBMRuntimeClient(
            token=TOKEN, instance="h/g/p", base_url=url, max_retries=0
        ) as client:
            with pytest.raises(errors.APIConnectionError) as caught:
                await client.jobs.get("j1")
    finally:
        server.close()
        await server.wait_closed()
    text = everything_about(caught.value)
    assert caught.value.__cause__ is not None  # the cause is kept for diagnosis...
    assert TOKEN not in text  # ...without the credential


@pytest.fixture
async def echo_server() -> AsyncIterator[str]:
    async def echo(request: web.Request) -> web.Response:
        # A careless server that repeats the credential it was given.
        given = request.headers.get("Authorization", "") + request.headers.get("X-Auth-Token", "")
        return web.json_response(
            {
                "errors": [{"code": "bad", "message": f"invalid credential {given}"}],
                "message": f"invalid credential {given}",
                "type": "denied",
            },
            status=401,
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    async with serve_app(app) as url:
        yield url


async def test_a_credential_echoed_by_the_server_is_redacted(echo_server: str) -> None:
    async with IBMRuntimeClient(token=TOKEN, instance="h/g/p", base_url=echo_server) as ibm:
        with pytest.raises(errors.AuthenticationError) as ibm_error:
            await ibm.jobs.get("j1")
    async with ScalewayQaaSClient(secret_key=SCW_KEY, project_id="p", base_url=echo_server) as scw:
        with pytest.raises(errors.AuthenticationError) as scw_error:
            await scw.jobs.get("j1")
    for caught, secret in ((ibm_error, TOKEN), (scw_error, SCW_KEY)):
        text = everything_about(caught.value)
        assert secret not in text
        assert "<redacted>" in str(caught.value)


@pytest.mark.parametrize("bad", ["tok\r\nX-Evil: 1", "tok\nen", "tok\x00en", "tok\ten"])
def test_credentials_with_control_characters_are_refused_without_echo(bad: str) -> None:
    for make in (
        lambda: IBMRuntimeClient(token=bad, instance="h/g/p"),
        lambda: ScalewayQaaSClient(secret_key=bad, project_id="p"),
        lambda: IAMAuth(bad, "crn:v1:x"),
        lambda: BearerToken(bad),
    ):
        with pytest.raises(ValueError, match="control characters") as caught:
            make()
        assert bad not in str(caught.value)


async def test_credential_holders_keep_secrets_out_of_vars_repr_and_pickle() -> None:
    iam = IAMAuth(API_KEY, "crn:v1:bluemix:public:quantum-computing:us-east:a/1::")
    bearer = BearerToken(TOKEN)
    ibm = IBMRuntimeClient(token=TOKEN, instance="h/g/p")
    scw = ScalewayQaaSClient(secret_key=SCW_KEY, project_id="p")
    for holder, secret in ((iam, API_KEY), (bearer, TOKEN), (ibm, TOKEN), (scw, SCW_KEY)):
        assert secret not in repr(holder)
        dumped = repr(vars(holder)) if hasattr(holder, "__dict__") else ""
        assert secret not in dumped
        with pytest.raises(TypeError):
            pickle.dumps(holder)
    await ibm.aclose()
    await scw.aclose()
