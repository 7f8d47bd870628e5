"""``qruntime scaleway ...``: Scaleway QaaS jobs."""

from __future__ import annotations

import argparse
import os
from typing import TextIO

from ..scaleway.client import _ENV_PROJECT_ID as _SCW_PROJECT_ID_ENV
from ..scaleway.client import _ENV_SECRET_KEY as _SCW_SECRET_KEY_ENV
from ..scaleway.client import ScalewayQaaSClient
from ._output import UsageError, _print_list, _watch_job


def _scaleway_client(args: argparse.Namespace) -> ScalewayQaaSClient:
    # The client's own messages name its keyword arguments; these name the options.
    if args.secret_key is None:
        if not os.environ.get(_SCW_SECRET_KEY_ENV):
            raise UsageError(
                f"no Scaleway credentials: pass --secret-key or set {_SCW_SECRET_KEY_ENV}"
            )
    elif not args.secret_key.strip():
        raise UsageError("--secret-key is empty")
    return ScalewayQaaSClient(
        secret_key=args.secret_key,
        project_id=args.project_id,
        base_url=args.url,
        max_retries=args.max_retries,
    )


async def _scaleway_jobs_list(args: argparse.Namespace, out: TextIO) -> int:
    async with _scaleway_client(args) as client:
        if args.session_id is None and client.project_id is None:
            raise UsageError(f"give --session-id or --project-id (or set {_SCW_PROJECT_ID_ENV})")
        pager = client.jobs.list(
            session_id=args.session_id,
            project_id=args.project_id if args.session_id is None else None,
            tags=args.tag or None,
            order_by=args.order_by,
            limit=args.limit,
        )
        items = [item async for item in pager]
    return _print_list(
        args,
        out,
        items,
        ["id", "name", "status", "session_id", "created_at"],
        lambda j: [j.id, j.name, j.status, j.session_id, j.created_at],
    )


async def _scaleway_jobs_watch(args: argparse.Namespace, out: TextIO) -> int:
    async with _scaleway_client(args) as client:
        return await _watch_job(
            args,
            client.jobs,
            out,
            detail=lambda job: job.progress_message,
            status=lambda job: job.status,
        )
