"""A minimal server of IBM ``GET /runtime/workloads/me`` pages for the paging benchmark.

The emulator cannot serve 100,000 workloads in reasonable time (see bench_paging.py), so this
server holds ``--items`` workloads shaped like the emulator's (``_documents.ibm_workload``),
encoded once at start, and answers cursor-paged listings in time proportional to the page:
``limit`` (1 to 1000, default 10) items after the ``next`` cursor, with ``count``, ``limit``
and ``next``/``previous`` cursors. It checks the emulator's bearer token.

    python benchmarks/_page_server.py --items 100000 [--port 0]
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from _documents import ibm_workload
from aiohttp import web

from qruntime_async.emulator import IBM_TOKEN

MAX_LIMIT = 1000


def build(items: int) -> list[bytes]:
    import msgspec

    encode = msgspec.json.Encoder().encode
    return [encode(ibm_workload(i)) for i in range(items)]


def _cursor(offset: int) -> str:
    return f"o{offset:x}"


def _offset(cursor: str) -> int | None:
    if not cursor.startswith("o"):
        return None
    try:
        return int(cursor[1:], 16)
    except ValueError:
        return None


def make_app(docs: list[bytes]) -> web.Application:
    expected = f"Bearer {IBM_TOKEN}"
    total = len(docs)

    async def workloads(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != expected:
            return web.json_response({"errors": [{"code": "1219"}]}, status=401)
        q = request.query
        try:
            limit = int(q.get("limit", "10"))
        except ValueError:
            limit = -1
        if not 1 <= limit <= MAX_LIMIT:
            return web.json_response({"errors": [{"code": "1201"}]}, status=400)
        start = 0
        if q.get("next"):
            found = _offset(q["next"])
            if found is None or not 0 <= found <= total:
                return web.json_response({"errors": [{"code": "1201"}]}, status=400)
            start = found
        end = min(start + limit, total)
        parts = [b'{"workloads":[', b",".join(docs[start:end]), b'],"count":']
        parts.append(str(total).encode())
        parts.append(b',"limit":' + str(limit).encode())
        if start > 0:
            parts.append(b',"previous":"' + _cursor(max(0, start - limit)).encode() + b'"')
        if end < total:
            parts.append(b',"next":"' + _cursor(end).encode() + b'"')
        parts.append(b"}")
        return web.Response(body=b"".join(parts), content_type="application/json")

    app = web.Application()
    app.router.add_get("/runtime/workloads/me", workloads)
    return app


async def serve(items: int, port: int) -> None:
    docs = build(items)
    runner = web.AppRunner(make_app(docs), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
    await site.start()
    host, bound = runner.addresses[0][:2]
    sys.stdout.write(f"workload page server listening on http://{host}:{bound}\n")
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(serve(args.items, args.port))


if __name__ == "__main__":
    main()
