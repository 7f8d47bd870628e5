"""``qruntime demo`` and ``qruntime emulator``: the commands that run everything locally."""

from __future__ import annotations

import argparse
import contextlib
import errno
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from ..demo import DemoProgress, run_demo
from ._output import EXIT_API_ERROR, EXIT_OK, UsageError, _console, _print_json


async def _demo(args: argparse.Namespace, out: TextIO) -> int:
    console = None if args.json else _console(out)
    with _live_progress(console, args.jobs) as progress:
        report = await run_demo(
            jobs=args.jobs,
            concurrency=args.concurrency,
            speed=args.speed,
            seed=args.seed,
            progress=progress,
        )
    if args.json:
        _print_json(report.as_dict(), out)
    else:
        _print_report(report, console, out)
    return EXIT_OK if report.final_jobs == report.jobs else EXIT_API_ERROR


@contextlib.contextmanager
def _live_progress(console: Any, total: int) -> Iterator[Callable[[DemoProgress], None] | None]:
    """A progress callback drawing live counts on ``console`` (None without a console)."""
    if console is None:
        yield None
        return
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
    submitted = bar.add_task("submitted", total=total)
    finished = bar.add_task("final", total=total)

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

    with Live(render(DemoProgress(total=total)), console=console, refresh_per_second=8) as live:

        def update(progress: DemoProgress) -> None:
            bar.update(submitted, completed=progress.submitted)
            bar.update(finished, completed=progress.final)
            live.update(render(progress))

        yield update


def _print_report(report: Any, console: Any, out: TextIO) -> None:
    p50, p95 = report.percentile(50), report.percentile(95)
    rows = [
        (f"{provider}: {state}", str(number))
        for provider, states in sorted(report.by_provider_state.items())
        for state, number in sorted(states.items())
    ]
    rows += [
        (f"{provider}: counts of one job", ", ".join(f"{k}: {n}" for k, n in sorted(c.items())))
        for provider, c in sorted(report.sample_counts.items())
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


def _emulator(args: argparse.Namespace, out: TextIO) -> int:
    from ..emulator import config_from_args, run_forever

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
