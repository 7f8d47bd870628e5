"""The ``qruntime`` command.

``qruntime demo`` runs the demo workload against an in-process emulator; ``qruntime emulator``
serves the emulator; ``qruntime ibm ...`` and ``qruntime scaleway ...`` talk to a service (the real
one, or an emulator through ``--url``). ``--json`` prints machine-readable output, and errors as
one JSON object on stderr: ``{"error": {"type": ..., "message": ..., "status": ...}}``.

Exit codes:

* 0 success;
* 1 API error (the message is printed, never a credential), a watched job that ended without
  completing (failed or cancelled) or was not final within ``--timeout``, or a demo in which not
  every job ended;
* 2 usage error: a bad command line, missing credentials, or an emulator port that cannot be
  listened on;
* 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import json
import os
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any, NoReturn, TextIO

import msgspec

from ._version import __version__
from .errors import APIStatusError, QRuntimeError, WaitTimeoutError

__all__ = ["main", "build_parser"]

EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """A bad command line that argparse itself could not catch."""


class _CommandLineError(Exception):
    """A bad command line found by argparse."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser
        self.message = message


class _Parser(argparse.ArgumentParser):
    # Raises instead of exiting, so that main() can print the error as text or as JSON.
    def error(self, message: str) -> NoReturn:
        raise _CommandLineError(self, message)


# Environment variables the clients read credentials from (see IBMRuntimeClient and
# ScalewayQaaSClient).
_IBM_TOKEN_ENV = "QRUNTIME_IBM_TOKEN"
_IBM_API_KEY_ENV = "QRUNTIME_IBM_API_KEY"
_IBM_CRN_ENV = "QRUNTIME_IBM_SERVICE_CRN"
_SCW_SECRET_KEY_ENV = "SCW_SECRET_KEY"
_SCW_PROJECT_ID_ENV = "SCW_DEFAULT_PROJECT_ID"


def _to_builtins(value: Any) -> Any:
    return msgspec.to_builtins(value, enc_hook=str)


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


# -- demo -------------------------------------------------------------------------------------
async def _demo(args: argparse.Namespace, out: TextIO) -> int:
    from .demo import DemoProgress, run_demo

    console = None if args.json else _console(out)
    if console is None:
        report = await run_demo(
            jobs=args.jobs, concurrency=args.concurrency, speed=args.speed, seed=args.seed
        )
    else:
        from rich.live import Live
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
        from rich.table import Table

        bar = Progress(
            "[bold]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        submitted = bar.add_task("submitted", total=args.jobs)
        finished = bar.add_task("final", total=args.jobs)

        def render(progress: DemoProgress) -> Table:
            grid = Table.grid(padding=(0, 2))
            grid.add_row(bar)
            counts = Table(show_header=True, header_style="bold", box=None)
            counts.add_column("service / state")
            counts.add_column("jobs", justify="right")
            for name, number in sorted(progress.states.items()):
                if number:
                    counts.add_row(name, str(number))
            grid.add_row(counts)
            grid.add_row(f"HTTP requests: {progress.requests}")
            return grid

        with Live(
            render(DemoProgress(total=args.jobs)), console=console, refresh_per_second=8
        ) as live:

            def update(progress: DemoProgress) -> None:
                bar.update(submitted, completed=progress.submitted)
                bar.update(finished, completed=progress.final)
                live.update(render(progress))

            report = await run_demo(
                jobs=args.jobs,
                concurrency=args.concurrency,
                speed=args.speed,
                seed=args.seed,
                progress=update,
            )
    if args.json:
        _print_json(report.as_dict(), out)
        return EXIT_OK if report.final_jobs == report.jobs else EXIT_API_ERROR
    _print_report(report, console, out)
    return EXIT_OK if report.final_jobs == report.jobs else EXIT_API_ERROR


def _print_report(report: Any, console: Any, out: TextIO) -> None:
    p50, p95 = report.percentile(50), report.percentile(95)
    rows = [
        (f"{provider}: {state}", str(number))
        for provider, states in sorted(report.by_provider_state.items())
        for state, number in sorted(states.items())
    ]
    summary = [
        ("jobs submitted", str(report.jobs)),
        ("jobs final", str(report.final_jobs)),
        ("wall time", f"{report.wall_seconds:.2f} s"),
        ("HTTP requests", str(report.http_requests)),
        ("time to notice, p50", "-" if p50 is None else f"{p50 * 1000:.0f} ms"),
        ("time to notice, p95", "-" if p95 is None else f"{p95 * 1000:.0f} ms"),
    ]
    if console is None:
        for label, value in rows + summary:
            out.write(f"{label:<40} {value}\n")
        return
    from rich.table import Table

    console.print()
    table = Table(title="qruntime demo", show_header=True, header_style="bold")
    table.add_column("")
    table.add_column("", justify="right")
    for label, value in rows:
        table.add_row(label, value)
    table.add_section()
    for label, value in summary:
        table.add_row(label, value)
    console.print(table)


# -- emulator ---------------------------------------------------------------------------------
def _emulator(args: argparse.Namespace, out: TextIO) -> int:
    from .emulator import config_from_args, run_forever

    config = config_from_args(args)
    try:
        run_forever(config, quiet=args.quiet)
    except OSError as exc:
        raise UsageError(_listen_error(exc, config.host, config.port)) from None
    return EXIT_OK


_ADDRESS_IN_USE = {errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", errno.EADDRINUSE)}


def _listen_error(exc: OSError, host: str, port: int) -> str:
    if exc.errno in _ADDRESS_IN_USE:
        return (
            f"port {port} on {host} is already in use "
            "(choose another --port, or --port 0 for a free one)"
        )
    reason = exc.strerror or str(exc)
    return f"cannot listen on {host} port {port}: {reason}"


# -- IBM --------------------------------------------------------------------------------------
def _ibm_client(args: argparse.Namespace) -> Any:
    from .ibm import IBMRuntimeClient

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
    if args.json:
        _print_json(items, out)
        return EXIT_OK
    _table(
        out,
        ["id", "mode", "status", "backend", "created", "tags"],
        [[w.id, w.mode, w.status, w.backend, w.created, ",".join(w.tags or [])] for w in items],
    )
    return EXIT_OK


async def _watch_job(
    args: argparse.Namespace,
    events: AsyncIterator[Any],
    out: TextIO,
    *,
    describe: Callable[[Any], str],
    status: Callable[[Any], str | None],
    completed: Callable[[Any], bool],
) -> int:
    """Print each snapshot; exit 0 when the job completed, 1 when it failed or was cancelled."""
    last: Any = None
    try:
        async for snapshot in events:
            last = snapshot
            if args.json:
                out.write(msgspec.json.encode(_to_builtins(snapshot)).decode() + "\n")
            else:
                out.write(describe(snapshot) + "\n")
            out.flush()
    except WaitTimeoutError as exc:
        seen = exc.last if exc.last is not None else last
        raise WaitTimeoutError(
            _still_message(args.job_id, None if seen is None else status(seen), args.timeout),
            last=seen,
            resource_id=exc.resource_id,
        ) from None
    return EXIT_OK if last is not None and completed(last) else EXIT_API_ERROR


def _still_message(job_id: str, status: str | None, timeout: float | None) -> str:
    after = "" if timeout is None else f" after {timeout:g} s"
    if status is None:
        return f"job {job_id}: no answer{after}"
    return f"job {job_id} still {status}{after}"


async def _ibm_jobs_watch(args: argparse.Namespace, out: TextIO) -> int:
    async with _ibm_client(args) as client:
        return await _watch_job(
            args,
            client.jobs.watch(args.job_id, timeout=args.timeout),
            out,
            describe=lambda job: (
                f"{job.id}  {job.status}"
                + (f"  ({job.state.reason})" if job.state and job.state.reason else "")
            ),
            status=lambda job: job.current_status,
            completed=lambda job: bool(job.is_completed),
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


# -- Scaleway ---------------------------------------------------------------------------------
def _scaleway_client(args: argparse.Namespace) -> Any:
    from .scaleway import ScalewayQaaSClient

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
    if args.json:
        _print_json(items, out)
        return EXIT_OK
    _table(
        out,
        ["id", "name", "status", "session_id", "created_at"],
        [[j.id, j.name, j.status, j.session_id, j.created_at] for j in items],
    )
    return EXIT_OK


async def _scaleway_jobs_watch(args: argparse.Namespace, out: TextIO) -> int:
    async with _scaleway_client(args) as client:
        return await _watch_job(
            args,
            client.jobs.watch(args.job_id, timeout=args.timeout),
            out,
            describe=lambda job: (
                f"{job.id}  {job.status}"
                + (f"  ({job.progress_message})" if job.progress_message else "")
            ),
            status=lambda job: job.status,
            completed=lambda job: bool(job.is_completed),
        )


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


# -- parser -----------------------------------------------------------------------------------
def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got {text!r}")
    return value


def _aware_datetime(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"give a time with a zone, e.g. 2024-01-01T00:00:00Z, not {text!r}"
        )
    return value


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print JSON for scripts (errors too, on stderr)"
    )
    parser.add_argument(
        "--max-retries",
        type=_non_negative,
        default=None,
        help="retries of a call that failed for a transient reason (default: 3)",
    )


def _add_ibm_credentials(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--token",
        help=f"API token (default: ${_IBM_TOKEN_ENV}; without --token, ${_IBM_API_KEY_ENV} "
        f"with ${_IBM_CRN_ENV} are used first when set)",
    )
    parser.add_argument("--instance", help="hub/group/project (default: $QRUNTIME_IBM_INSTANCE)")
    parser.add_argument("--url", help="API base URL (default: $QRUNTIME_IBM_URL or IBM's)")
    _add_common(parser)


def _add_scaleway_credentials(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--secret-key", help=f"secret key (default: ${_SCW_SECRET_KEY_ENV})")
    parser.add_argument("--project-id", help=f"project id (default: ${_SCW_PROJECT_ID_ENV})")
    parser.add_argument("--url", help="API base URL (default: $SCW_API_URL or Scaleway's)")
    _add_common(parser)


_WATCH_HELP = "print the job's state, then each change, until it is final"
_WATCH_EXIT = (
    "; exits 0 when it completed, 1 when it ended otherwise ({bad} or cancelled) or was not "
    "final within --timeout"
)
_TIMEOUT_HELP = "give up after this many seconds (exit 1); default: wait until final"


def build_parser() -> argparse.ArgumentParser:
    """The ``qruntime`` argument parser."""
    parser = _Parser(
        prog="qruntime",
        description="Quantum runtime services from the command line (IBM Quantum Runtime, "
        "Scaleway QaaS), and a local emulator of both.",
    )
    parser.add_argument("--version", action="version", version=f"qruntime {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="run a demo workload against an in-process emulator")
    demo.add_argument("--jobs", type=_positive, default=200, help="jobs to submit (default 200)")
    demo.add_argument(
        "--concurrency", type=_positive, default=32, help="submissions in flight (default 32)"
    )
    demo.add_argument(
        "--speed", type=float, default=120.0, help="emulator virtual-time factor (default 120)"
    )
    demo.add_argument("--seed", type=int, default=7, help="emulator seed (default 7)")
    demo.add_argument("--json", action="store_true", help="print the report as JSON")
    demo.set_defaults(handler=_demo)

    emulator = commands.add_parser("emulator", help="serve the emulator of both APIs")
    from .emulator import add_arguments

    add_arguments(emulator)
    emulator.set_defaults(sync_handler=_emulator)

    ibm = commands.add_parser("ibm", help="IBM Quantum Runtime").add_subparsers(
        dest="resource", required=True, metavar="RESOURCE"
    )
    workloads = ibm.add_parser("workloads", help="workloads (jobs and sessions)").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    wl_list = workloads.add_parser("list", help="list workloads")
    _add_ibm_credentials(wl_list)
    wl_list.add_argument(
        "--admin",
        action="store_true",
        help="every user's workloads in --instance (required here: a hub, hub/group or "
        "hub/group/project); needs a hub administrator's token",
    )
    wl_list.add_argument("--user-id", help="with --admin: one user's workloads")
    wl_list.add_argument("--backend", help="only this backend's workloads")
    wl_list.add_argument("--search", help="filter by id or tag")
    wl_list.add_argument(
        "--status",
        action="append",
        choices=["pending", "in_progress", "completed", "canceled", "failed"],
        help="repeat for several statuses",
    )
    wl_list.add_argument("--mode", choices=["job", "session", "batch"])
    wl_list.add_argument("--tag", action="append", help="repeat for several tags")
    wl_list.add_argument("--sort", choices=["createdAt"], help="sort field")
    wl_list.add_argument("--order", choices=["asc", "desc"])
    wl_list.add_argument(
        "--created-after", type=_aware_datetime, help="ISO 8601 time with a zone, e.g. ...Z"
    )
    wl_list.add_argument("--created-before", type=_aware_datetime, help="ISO 8601 time with a zone")
    wl_list.add_argument(
        "--limit", type=_positive, default=50, help="at most this many (default 50)"
    )
    wl_list.set_defaults(handler=_ibm_workloads_list)

    jobs = ibm.add_parser("jobs", help="jobs").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    job_watch = jobs.add_parser(
        "watch", help=_WATCH_HELP, description=_WATCH_HELP + _WATCH_EXIT.format(bad="Failed")
    )
    _add_ibm_credentials(job_watch)
    job_watch.add_argument("job_id")
    job_watch.add_argument("--timeout", type=_seconds, default=None, help=_TIMEOUT_HELP)
    job_watch.set_defaults(handler=_ibm_jobs_watch)

    sessions = ibm.add_parser("sessions", help="sessions").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    show = sessions.add_parser("show", help="a session's extended details")
    _add_ibm_credentials(show)
    show.add_argument("session_id")
    show.set_defaults(handler=_ibm_sessions_show)

    scw = commands.add_parser("scaleway", help="Scaleway Quantum-as-a-Service").add_subparsers(
        dest="resource", required=True, metavar="RESOURCE"
    )
    scw_jobs = scw.add_parser("jobs", help="jobs").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    scw_list = scw_jobs.add_parser("list", help="list the jobs of a session or project")
    _add_scaleway_credentials(scw_list)
    scw_list.add_argument("--session-id", help="this session's jobs (instead of the project's)")
    scw_list.add_argument("--tag", action="append", help="repeat for several tags")
    scw_list.add_argument(
        "--order-by", help="created_at_desc (default), created_at_asc, name_asc, status_asc, ..."
    )
    scw_list.add_argument(
        "--limit", type=_positive, default=50, help="at most this many (default 50)"
    )
    scw_list.set_defaults(handler=_scaleway_jobs_list)
    scw_watch = scw_jobs.add_parser(
        "watch", help=_WATCH_HELP, description=_WATCH_HELP + _WATCH_EXIT.format(bad="error")
    )
    _add_scaleway_credentials(scw_watch)
    scw_watch.add_argument("job_id")
    scw_watch.add_argument("--timeout", type=_seconds, default=None, help=_TIMEOUT_HELP)
    scw_watch.set_defaults(handler=_scaleway_jobs_watch)
    return parser


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run the command line; returns the exit code."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = parser.parse_args(words)
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_USAGE
    except _CommandLineError as exc:
        if "--json" in words:
            _print_error(err, True, "UsageError", exc.message, None, ())
        else:
            exc.parser.print_usage(err)
            err.write(f"{exc.parser.prog}: error: {exc.message}\n")
        return EXIT_USAGE
    as_json = bool(getattr(args, "json", False))
    secrets = _secrets(args)
    try:
        if getattr(args, "sync_handler", None) is not None:
            code: int = args.sync_handler(args, out)
            return code
        handler: Callable[[argparse.Namespace, TextIO], Coroutine[Any, Any, int]] = args.handler
        return asyncio.run(handler(args, out))
    except (UsageError, ValueError) as exc:
        _print_error(err, as_json, "UsageError", str(exc), None, secrets)
        return EXIT_USAGE
    except QRuntimeError as exc:
        status = exc.status if isinstance(exc, APIStatusError) else None
        _print_error(err, as_json, type(exc).__name__, str(exc), status, secrets)
        return EXIT_API_ERROR
    except KeyboardInterrupt:
        _print_error(err, as_json, "KeyboardInterrupt", "interrupted", None, ())
        return 130


def _secrets(args: argparse.Namespace) -> tuple[str, ...]:
    """The credentials this command may use: never printed, even inside a server's message."""
    values = [getattr(args, "token", None), getattr(args, "secret_key", None)]
    values += [os.environ.get(name) for name in (_IBM_TOKEN_ENV, _IBM_API_KEY_ENV)]
    values.append(os.environ.get(_SCW_SECRET_KEY_ENV))
    # Longest first, so that a credential containing another is hidden whole.
    found = {value.strip() for value in values if value and len(value.strip()) >= 4}
    return tuple(sorted(found, key=len, reverse=True))


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


def entry_point() -> None:
    """Console-script entry: exits with :func:`main`'s code."""
    sys.exit(main())
