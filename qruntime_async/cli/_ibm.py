"""``qruntime ibm ...``: IBM Quantum Runtime workloads, jobs and sessions."""

from __future__ import annotations

import argparse
import os
from typing import Any, TextIO

from ..ibm.client import _ENV_API_KEY as _IBM_API_KEY_ENV
from ..ibm.client import _ENV_CRN as _IBM_CRN_ENV
from ..ibm.client import _ENV_TOKEN as _IBM_TOKEN_ENV
from ..ibm.client import IBMRuntimeClient
from ._output import EXIT_OK, UsageError, _print_json, _print_list, _watch_job


def _ibm_client(args: argparse.Namespace) -> IBMRuntimeClient:
    _check_ibm_credentials(args.token)
    # For the admin listing --instance may name a hub or group: it is not the client's project.
    instance = None if getattr(args, "admin", False) else args.instance
    return IBMRuntimeClient(
        token=args.token, instance=instance, base_url=args.url, max_retries=args.max_retries
    )


def _check_ibm_credentials(token: str | None) -> None:
    # The client's own messages name its keyword arguments; these name the options.
    if token is not None:
        if not token.strip():
            raise UsageError("--token is empty")
        return
    if os.environ.get(_IBM_API_KEY_ENV):
        if not os.environ.get(_IBM_CRN_ENV):
            raise UsageError(
                f"{_IBM_API_KEY_ENV} is set but {_IBM_CRN_ENV} is not (or pass --token)"
            )
        return
    if not os.environ.get(_IBM_TOKEN_ENV):
        raise UsageError(
            f"no IBM credentials: pass --token or set {_IBM_TOKEN_ENV} "
            f"(or {_IBM_API_KEY_ENV} and {_IBM_CRN_ENV})"
        )


async def _ibm_workloads_list(args: argparse.Namespace, out: TextIO) -> int:
    async with _ibm_client(args) as client:
        common: dict[str, Any] = {
            "backend": args.backend,
            "search": args.search,
            "status": args.status or None,
            "mode": args.mode,
            "tags": args.tag or None,
            "order": args.order,
            "limit": args.limit,
            "created_after": args.created_after,
            "created_before": args.created_before,
        }
        if args.sort is not None:
            common["sort"] = args.sort
        if args.admin:
            if not args.instance:
                raise UsageError("--admin needs --instance (hub, hub/group or hub/group/project)")
            pager = client.workloads.list_admin(
                instance=args.instance, user_id=args.user_id, **common
            )
        else:
            pager = client.workloads.list_mine(**common)
        items = [item async for item in pager]
    return _print_list(
        args,
        out,
        items,
        ["id", "mode", "status", "backend", "created", "tags"],
        lambda w: [w.id, w.mode, w.status, w.backend, w.created, ",".join(w.tags or [])],
    )


async def _ibm_jobs_watch(args: argparse.Namespace, out: TextIO) -> int:
    async with _ibm_client(args) as client:
        return await _watch_job(
            args,
            client.jobs,
            out,
            detail=lambda job: job.state.reason if job.state else None,
            status=lambda job: job.current_status,
        )


async def _ibm_sessions_show(args: argparse.Namespace, out: TextIO) -> int:
    async with _ibm_client(args) as client:
        details = await client.sessions.details(args.session_id)
    if args.json:
        _print_json(details, out)
        return EXIT_OK
    for name in details.__struct_fields__:
        value = getattr(details, name)
        if value is not None and name != "timestamps":
            out.write(f"{name:<32} {value}\n")
    return EXIT_OK
