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
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any, NoReturn, TextIO

from .._version import __version__
from ..errors import APIStatusError, QRuntimeError
from ..ibm.client import _ENV_API_KEY as _IBM_API_KEY_ENV
from ..ibm.client import _ENV_CRN as _IBM_CRN_ENV
from ..ibm.client import _ENV_TOKEN as _IBM_TOKEN_ENV
from ..scaleway.client import _ENV_PROJECT_ID as _SCW_PROJECT_ID_ENV
from ..scaleway.client import _ENV_SECRET_KEY as _SCW_SECRET_KEY_ENV
from ._ibm import _ibm_jobs_watch, _ibm_sessions_show, _ibm_workloads_list
from ._local import _demo, _emulator
from ._output import EXIT_API_ERROR, EXIT_USAGE, UsageError, _print_error
from ._output import EXIT_OK as EXIT_OK
from ._scaleway import _scaleway_jobs_list, _scaleway_jobs_watch

__all__ = ["main", "build_parser"]


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


def _int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: an integer no smaller than ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    return parse


_positive = _int_at_least(1)
_non_negative = _int_at_least(0)


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


def _subcommands(
    parser: argparse.ArgumentParser, dest: str
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """Required subcommands of ``parser``, chosen into ``args.<dest>``."""
    return parser.add_subparsers(dest=dest, required=True, metavar=dest.upper())


def _add_limit(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--limit", type=_positive, default=50, help="at most this many (default 50)"
    )


def _add_watch(
    jobs: argparse._SubParsersAction[argparse.ArgumentParser],
    add_credentials: Callable[[argparse.ArgumentParser], None],
    bad: str,
    handler: Callable[[argparse.Namespace, TextIO], Coroutine[Any, Any, int]],
) -> None:
    """``... jobs watch JOB_ID [--timeout S]`` (``bad``: the provider's failed status)."""
    watch = jobs.add_parser(
        "watch", help=_WATCH_HELP, description=_WATCH_HELP + _WATCH_EXIT.format(bad=bad)
    )
    add_credentials(watch)
    watch.add_argument("job_id")
    watch.add_argument("--timeout", type=_seconds, default=None, help=_TIMEOUT_HELP)
    watch.set_defaults(handler=handler)


def build_parser() -> argparse.ArgumentParser:
    """The ``qruntime`` argument parser."""
    parser = _Parser(
        prog="qruntime",
        description="Quantum runtime services from the command line (IBM Quantum Runtime, "
        "Scaleway QaaS), and a local emulator of both.",
    )
    parser.add_argument("--version", action="version", version=f"qruntime {__version__}")
    commands = _subcommands(parser, "command")

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
    from ..emulator import add_arguments

    add_arguments(emulator)
    emulator.set_defaults(sync_handler=_emulator)

    ibm = _subcommands(commands.add_parser("ibm", help="IBM Quantum Runtime"), "resource")
    workloads = _subcommands(
        ibm.add_parser("workloads", help="workloads (jobs and sessions)"), "action"
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
    _add_limit(wl_list)
    wl_list.set_defaults(handler=_ibm_workloads_list)

    jobs = _subcommands(ibm.add_parser("jobs", help="jobs"), "action")
    _add_watch(jobs, _add_ibm_credentials, "Failed", _ibm_jobs_watch)

    sessions = _subcommands(ibm.add_parser("sessions", help="sessions"), "action")
    show = sessions.add_parser("show", help="a session's extended details")
    _add_ibm_credentials(show)
    show.add_argument("session_id")
    show.set_defaults(handler=_ibm_sessions_show)

    scw = _subcommands(
        commands.add_parser("scaleway", help="Scaleway Quantum-as-a-Service"), "resource"
    )
    scw_jobs = _subcommands(scw.add_parser("jobs", help="jobs"), "action")
    scw_list = scw_jobs.add_parser("list", help="list the jobs of a session or project")
    _add_scaleway_credentials(scw_list)
    scw_list.add_argument("--session-id", help="this session's jobs (instead of the project's)")
    scw_list.add_argument("--tag", action="append", help="repeat for several tags")
    scw_list.add_argument(
        "--order-by", help="created_at_desc (default), created_at_asc, name_asc, status_asc, ..."
    )
    _add_limit(scw_list)
    scw_list.set_defaults(handler=_scaleway_jobs_list)
    _add_watch(scw_jobs, _add_scaleway_credentials, "error", _scaleway_jobs_watch)
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


def entry_point() -> None:
    """Console-script entry: exits with :func:`main`'s code."""
    sys.exit(main())
