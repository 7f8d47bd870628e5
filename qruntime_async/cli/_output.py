"""What the ``qruntime`` commands print, and the codes they exit with."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import msgspec

from .._codec import settle
from ..errors import WaitTimeoutError

EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """A bad command line that argparse itself could not catch."""


def _to_builtins(value: Any) -> Any:
    # settle() first: msgspec reads fields without their attributes, which convert timestamps
    # to UTC and durations to timedeltas when first read.
    return msgspec.to_builtins(settle(value), enc_hook=str)


def _print_json(data: Any, out: TextIO) -> None:
    out.write(json.dumps(_to_builtins(data), indent=2, sort_keys=False) + "\n")


def _console(out: TextIO) -> Any:
    """A rich console for a terminal; None (plain text) when piped or without the `cli` extra."""
    isatty = getattr(out, "isatty", None)
    if isatty is None or not isatty():
        # Tables drawn for a terminal would cut long ids short in a pipe or a file.
        return None
    try:
        from rich.console import Console
    except ImportError:
        return None
    return Console(file=out, highlight=False)


def _table(out: TextIO, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    console = _console(out)
    text_rows = [["" if cell is None else str(cell) for cell in row] for row in rows]
    if console is None:
        widths = [max([len(h), *(len(row[i]) for row in text_rows)]) for i, h in enumerate(headers)]
        for row in [list(headers), *text_rows]:
            cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            out.write("  ".join(cells).rstrip() + "\n")
        return
    from rich.table import Table

    table = Table(show_header=True, header_style="bold")
    for header in headers:
        table.add_column(header)
    for row in text_rows:
        table.add_row(*row)
    console.print(table)


def _print_list(
    args: argparse.Namespace,
    out: TextIO,
    items: Sequence[Any],
    headers: Sequence[str],
    row: Callable[[Any], Sequence[Any]],
) -> int:
    """Print a listing: as JSON with ``--json``, else a table of ``row(item)`` under
    ``headers``."""
    if args.json:
        _print_json(items, out)
    else:
        _table(out, headers, [row(item) for item in items])
    return EXIT_OK


async def _watch_job(
    args: argparse.Namespace,
    jobs: Any,
    out: TextIO,
    *,
    detail: Callable[[Any], str | None],
    status: Callable[[Any], str | None],
) -> int:
    """Print each snapshot of ``args.job_id`` from ``jobs.watch`` (its id, status and
    ``detail`` when there is one); exit 0 when the job completed, 1 when it failed or was
    cancelled."""
    last: Any = None
    try:
        async for snapshot in jobs.watch(args.job_id, timeout=args.timeout):
            last = snapshot
            if args.json:
                out.write(msgspec.json.encode(settle(snapshot), enc_hook=str).decode() + "\n")
            else:
                note = detail(snapshot)
                line = f"{snapshot.id}  {snapshot.status}"
                out.write((f"{line}  ({note})" if note else line) + "\n")
            out.flush()
    except WaitTimeoutError as exc:
        seen = exc.last if exc.last is not None else last
        raise WaitTimeoutError(
            _still_message(args.job_id, None if seen is None else status(seen), args.timeout),
            last=seen,
            resource_id=exc.resource_id,
        ) from None
    return EXIT_OK if last is not None and last.is_completed else EXIT_API_ERROR


def _still_message(job_id: str, status: str | None, timeout: float | None) -> str:
    after = "" if timeout is None else f" after {timeout:g} s"
    if status is None:
        return f"job {job_id}: no answer{after}"
    return f"job {job_id} still {status}{after}"


def _print_error(
    err: TextIO,
    as_json: bool,
    kind: str,
    message: str,
    status: int | None,
    secrets: Sequence[str],
) -> None:
    for secret in secrets:
        message = message.replace(secret, "***")
    if as_json:
        payload = {"error": {"type": kind, "message": message, "status": status}}
        err.write(json.dumps(payload) + "\n")
    elif kind == "UsageError":
        err.write(f"qruntime: error: {message}\n")
    elif kind == "KeyboardInterrupt":
        err.write(f"qruntime: {message}\n")
    else:
        err.write(f"qruntime: {kind}: {message}\n")
