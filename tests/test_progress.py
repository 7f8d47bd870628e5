"""Live progress of wait and WatchGroup: opt-in, drawn by tqdm or any display factory."""

from __future__ import annotations

import importlib.util
import io
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import pytest

from qruntime_async import PollPolicy, WaitTimeoutError, WatchGroup, wait
from qruntime_async.progress import (
    ProgressDisplay,
    ProgressState,
    ProgressTracker,
    TqdmProgress,
    show_progress,
)

FAST = PollPolicy(interval=0.001, min_interval=0.0, max_interval=0.001, jitter=0.0)
HAS_TQDM = importlib.util.find_spec("tqdm") is not None
EXTRA = re.escape("pip install 'qruntime-async[progress]'")


class Recorder:
    """A display factory that keeps every state it is given."""

    def __init__(self) -> None:
        self.made: list[tuple[str, str]] = []
        self.states: list[ProgressState] = []
        self.closed = 0

    def __call__(self, label: str, unit: str) -> ProgressDisplay:
        self.made.append((label, unit))
        return self

    def update(self, state: ProgressState) -> None:
        self.states.append(state)

    def close(self) -> None:
        self.closed += 1

    @property
    def last(self) -> ProgressState:
        return self.states[-1]


class Server:
    """Each id answers the next state of its script on every fetch (the last one repeats)."""

    def __init__(self, scripts: dict[str, list[str]]) -> None:
        self.scripts = scripts
        self.calls = 0

    async def get(self, rid: str) -> dict[str, str]:
        self.calls += 1
        script = self.scripts[rid]
        state = script.pop(0) if len(script) > 1 else script[0]
        return {"id": rid, "status": state}

    def fetch(self, rid: str) -> Callable[[], Any]:
        return lambda: self.get(rid)


def final(snapshot: dict[str, str]) -> bool:
    return snapshot["status"] in {"Completed", "Failed"}


def group_of(server: Server, **kwargs: Any) -> WatchGroup[dict[str, str]]:
    return WatchGroup(
        list(server.scripts), get_one=server.get, is_final=final, policy=FAST, **kwargs
    )


async def drain(group: WatchGroup[dict[str, str]]) -> None:
    async with group:
        async for _ in group:
            pass


# --------------------------------------------------------------------------------------------
# Opt-in, and a clear error without tqdm


def hide_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)


async def test_asking_for_progress_without_tqdm_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hide_tqdm(monkeypatch)
    server = Server({"a": ["Completed"]})
    with pytest.raises(ModuleNotFoundError, match=EXTRA):
        group_of(server, progress=True)
    with pytest.raises(ModuleNotFoundError, match=EXTRA):
        group_of(server).with_progress()
    with pytest.raises(ModuleNotFoundError, match=EXTRA):
        await wait(server.fetch("a"), is_final=final, policy=FAST, progress=True)
    assert server.calls == 0  # refused before any request
    with pytest.raises(ModuleNotFoundError, match=EXTRA), show_progress():
        pass
    with pytest.raises(ModuleNotFoundError, match="tqdm"):
        TqdmProgress("jobs")


async def test_without_asking_nothing_is_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    hide_tqdm(monkeypatch)
    server = Server({"a": ["Queued", "Completed"], "b": ["Completed"]})
    await drain(group_of(server))
    assert await wait(server.fetch("b"), is_final=final, policy=FAST) == {
        "id": "b",
        "status": "Completed",
    }


def test_importing_and_polling_import_neither_tqdm_nor_matplotlib() -> None:
    script = textwrap.dedent(
        """
        import sys, anyio
        import qruntime_async
        from qruntime_async import PollPolicy, WatchGroup, wait
        import qruntime_async.display, qruntime_async.progress, qruntime_async.plot

        async def get(rid):
            return {"status": "Completed"}

        async def main():
            policy = PollPolicy(interval=0.001, min_interval=0.0, jitter=0.0)
            final = lambda s: s["status"] == "Completed"
            await wait(lambda: get("a"), is_final=final, policy=policy)
            async with WatchGroup(["a", "b"], get_one=get, is_final=final, policy=policy) as g:
                async for event in g:
                    event._repr_html_()

        anyio.run(main)
        loaded = [m for m in ("tqdm", "matplotlib", "rich") if m in sys.modules]
        print(",".join(loaded) or "none")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "none"


def test_progress_options_are_checked() -> None:
    server = Server({"a": ["Completed"]})
    with pytest.raises(TypeError, match="progress must be"):
        group_of(server, progress="yes")


# --------------------------------------------------------------------------------------------
# What a group shows


async def test_a_group_shows_jobs_by_state_requests_and_the_end() -> None:
    recorder = Recorder()
    server = Server(
        {
            "a": ["Queued", "Running", "Completed"],
            "b": ["Queued", "Failed"],
            "c": ["Running", "Running", "Running", "Completed"],
        }
    )
    await drain(group_of(server, progress=recorder))
    assert recorder.made == [("jobs", "job")]
    assert recorder.closed == 1
    first = recorder.states[0]
    assert (first.total, first.done, dict(first.states), first.requests) == (3, 0, {"new": 3}, 0)
    last = recorder.last
    assert last.finished
    assert (last.total, last.done) == (3, 3)
    assert dict(last.states) == {"Completed": 2, "Failed": 1}
    assert last.requests == server.calls
    assert last.elapsed >= 0
    assert last.describe() == f"Completed 2 · Failed 1 · {server.calls} requests"


async def test_ids_added_later_grow_the_total_and_errors_count_as_done() -> None:
    recorder = Recorder()
    server = Server({"a": ["Completed"], "b": ["Queued", "Completed"]})

    async def get(rid: str) -> dict[str, str]:
        if rid == "gone":
            raise LookupError(rid)
        return await server.get(rid)

    group = WatchGroup(
        ["a"], get_one=get, is_final=final, policy=FAST, expect_more=True
    ).with_progress(recorder, label="my jobs")
    async with group:
        async for event in group:
            if event.id == "a":
                assert recorder.states[-1].total == 1
                group.add("b", "gone")
                group.done_adding()
    assert recorder.made == [("my jobs", "job")]
    assert recorder.last.total == 3
    assert recorder.last.done == 3
    assert dict(recorder.last.states) == {"Completed": 2, "error": 1}


async def test_progress_is_chosen_before_iterating() -> None:
    server = Server({"a": ["Queued", "Completed"]})
    group = group_of(server)
    async with group:
        async for _ in group:
            with pytest.raises(RuntimeError, match="before the iteration"):
                group.with_progress(Recorder())


async def test_a_timeout_still_closes_the_display() -> None:
    recorder = Recorder()
    server = Server({"a": ["Running"]})
    with pytest.raises(WaitTimeoutError):
        await drain(group_of(server, progress=recorder, timeout=0.02))
    assert recorder.closed == 1
    assert dict(recorder.last.states) == {"Running": 1}
    assert recorder.last.done == 0


# --------------------------------------------------------------------------------------------
# wait, and show_progress blocks


async def test_wait_shows_the_state_and_the_requests() -> None:
    recorder = Recorder()
    server = Server({"job-1": ["Queued", "Running", "Completed"]})
    job = await wait(
        server.fetch("job-1"),
        is_final=final,
        policy=FAST,
        resource_id="job-1",
        progress=recorder,
    )
    assert job["status"] == "Completed"
    assert recorder.made == [("job-1", "job")]
    assert recorder.closed == 1
    assert recorder.last.done == 1
    assert dict(recorder.last.states) == {"Completed": 1}
    assert recorder.last.requests == server.calls == 3


async def test_a_wait_that_times_out_closes_its_display() -> None:
    recorder = Recorder()
    server = Server({"a": ["Queued"]})
    with pytest.raises(WaitTimeoutError):
        await wait(server.fetch("a"), is_final=final, policy=FAST, timeout=0.02, progress=recorder)
    assert recorder.closed == 1
    assert recorder.last.done == 0


async def test_a_show_progress_block_covers_waits_and_groups() -> None:
    recorder = Recorder()
    server = Server({"a": ["Completed"], "b": ["Queued", "Completed"]})
    with show_progress(recorder) as factory:
        assert factory is recorder
        await wait(server.fetch("a"), is_final=final, policy=FAST)
        await drain(group_of(server))
        await drain(group_of(Server({"c": ["Completed"]}), progress=False))
    await wait(server.fetch("b"), is_final=final, policy=FAST)
    assert recorder.made == [("resource", "job"), ("jobs", "job")]
    assert recorder.closed == 2


def test_redraws_are_throttled_but_the_last_state_is_drawn() -> None:
    now = [0.0]
    recorder = Recorder()
    tracker = ProgressTracker(recorder, "jobs", interval=1.0, clock=lambda: now[0])
    for index in range(10):
        tracker.add(f"j{index}")
        tracker.push()
        now[0] += 0.25
    assert len(recorder.states) == 3  # at 0, 1 and 2 seconds
    tracker.set("j0", "Completed", done=True)
    tracker.forget("j1")
    tracker.close()
    tracker.close()
    assert recorder.closed == 1
    assert recorder.last.finished
    assert (recorder.last.total, recorder.last.done) == (9, 1)
    assert dict(recorder.last.states) == {"new": 8, "Completed": 1}


# --------------------------------------------------------------------------------------------
# tqdm itself


@pytest.mark.skipif(not HAS_TQDM, reason="tqdm is not installed (the progress extra)")
async def test_a_tqdm_bar_counts_and_describes() -> None:
    out = io.StringIO()
    server = Server({"a": ["Queued", "Completed"], "b": ["Running", "Completed"]})
    with show_progress(file=out, ncols=120, mininterval=0):
        await drain(group_of(server))
    text = out.getvalue()
    assert "jobs: 100%" in text
    assert "2/2" in text
    assert f"Completed 2 · {server.calls} requests" in text
