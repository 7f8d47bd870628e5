"""Polling: the pure schedule, the watch/wait drivers and the watch group, with fake time."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import math
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

import anyio
import anyio.lowlevel
import msgspec
import pytest

from qruntime_async._poll_policy import PollPolicy
from qruntime_async._watch import wait, watch
from qruntime_async._watch_group import WatchEvent, WatchGroup
from qruntime_async.errors import NotFoundError, WaitTimeoutError

from .conftest import only_this_task

FINAL = frozenset({"Completed", "Failed", "Cancelled"})


class Job(msgspec.Struct, frozen=True):
    id: str
    status: str
    progress_message: str | None = None
    estimated_start_time_seconds: float | None = None


def is_final(job: Job) -> bool:
    return job.status in FINAL


class FakeTime:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await anyio.lowlevel.checkpoint()


class Script:
    """Answers the given snapshots in turn, then repeats the last one; records poll times."""

    def __init__(self, time: FakeTime, *snapshots: Job) -> None:
        self.time = time
        self.snapshots = list(snapshots)
        self.polls: list[float] = []

    async def fetch(self) -> Job:
        self.polls.append(self.time.now)
        index = min(len(self.polls), len(self.snapshots)) - 1
        return self.snapshots[index]


STEADY = PollPolicy(jitter=0.0)


# -- the schedule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "expected"),
    [
        (0, 0.0),
        (1, 0.5),
        (2, 0.75),
        (3, 1.125),
        (4, 1.6875),
        (7, 0.5 * 1.5**6),
        (8, 8.54296875),
        (9, 10.0),
        (50, 10.0),
        (10_000, 10.0),
    ],
)
def test_default_schedule_grows_from_half_a_second_to_a_ten_second_cap(
    attempt: int, expected: float
) -> None:
    assert STEADY.delay(attempt) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("draw", "attempt", "expected"),
    [
        (0.0, 1, 0.45),  # -10 %
        (0.5, 1, 0.5),
        (0.75, 1, 0.525),  # +5 %
        (0.999999, 50, 10.0),  # never above the cap
        (0.0, 50, 9.0),
    ],
)
def test_jitter_uses_the_injected_random_source(draw: float, attempt: int, expected: float) -> None:
    policy = PollPolicy().with_random(lambda: draw)
    assert policy.delay(attempt) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("policy", "attempt", "kwargs", "expected"),
    [
        # The floor.
        (PollPolicy(interval=0.01, jitter=0.0), 1, {}, 0.1),
        (PollPolicy(interval=0.01, jitter=0.5, random=lambda: 0.0), 1, {}, 0.1),
        # Server estimates stretch the pause, up to the cap.
        (STEADY, 1, {"hint": 120.0}, 10.0),
        (STEADY, 1, {"hint": 2.0}, 2.0),
        (STEADY, 5, {"hint": 0.2}, 0.5 * 1.5**4),
        (STEADY.with_hints(False), 1, {"hint": 120.0}, 0.5),
        (STEADY, 1, {"hint": math.nan}, 0.5),
        # Retry-After wins even above the cap.
        (STEADY, 1, {"retry_after": 30.0}, 30.0),
        (STEADY, 9, {"retry_after": 0.2}, 10.0),
        # Never past the deadline.
        (STEADY.with_timeout(5), 9, {"elapsed": 4.8}, 0.2),
        (STEADY.with_timeout(5), 9, {"elapsed": 7.0}, 0.0),
        (STEADY.with_timeout(5), 1, {"elapsed": 4.0, "retry_after": 30.0}, 1.0),
        (STEADY.with_timeout(5), 1, {"elapsed": 1.0}, 0.5),
        # Per-state minimums, still under the cap.
        (STEADY.with_state_interval("Queued", 5.0), 1, {"state": "Queued"}, 5.0),
        (STEADY.with_state_interval("Queued", 5.0), 1, {"state": "Running"}, 0.5),
        (STEADY.with_state_interval("Queued", 60.0), 1, {"state": "Queued"}, 10.0),
        # The first poll.
        (STEADY.with_first_delay(2.0), 0, {}, 2.0),
        (PollPolicy(first_delay=2.0, jitter=0.5, random=lambda: 0.0), 0, {}, 2.0),
        # Other shapes.
        (STEADY.with_multiplier(1.0), 20, {}, 0.5),
        (STEADY.with_interval(2.0).with_max_interval(3.0), 2, {}, 3.0),
        (STEADY.with_min_interval(1.0), 1, {}, 1.0),
    ],
)
def test_schedule_table(
    policy: PollPolicy, attempt: int, kwargs: dict[str, Any], expected: float
) -> None:
    assert policy.delay(attempt, **kwargs) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"first_delay": -1}, "first_delay"),
        ({"interval": 0}, "interval"),
        ({"interval": math.inf}, "interval"),
        ({"multiplier": 0.5}, "multiplier"),
        ({"max_interval": 0}, "max_interval"),
        ({"min_interval": -0.1}, "min_interval"),
        ({"min_interval": 20.0}, "max_interval"),
        ({"jitter": 1.0}, "jitter"),
        ({"jitter": -0.1}, "jitter"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": "10"}, "timeout"),
        ({"interval": True}, "interval"),
        ({"state_intervals": (("Queued", -1.0),)}, "state_intervals"),
        ({"random": 0.5}, "random"),
    ],
)
def test_policy_arguments_are_validated(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        PollPolicy(**kwargs)


def test_policy_is_immutable_and_with_methods_return_copies() -> None:
    policy = PollPolicy()
    slower = policy.with_interval(2.0).with_max_interval(30.0)

    assert (policy.interval, policy.max_interval) == (0.5, 10.0)
    assert (slower.interval, slower.max_interval) == (2.0, 30.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.interval = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="interval"):
        policy.with_interval(-1)
    assert policy.with_state_interval("Q", 1.0).with_state_interval("Q", 2.0).state_intervals == (
        ("Q", 2.0),
    )


def test_attempt_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="attempt"):
        PollPolicy().delay(-1)


# -- watch and wait ----------------------------------------------------------------------------


async def test_watch_yields_the_first_state_and_each_change_only() -> None:
    time = FakeTime()
    script = Script(
        time,
        Job(id="j", status="Queued"),
        Job(id="j", status="Queued"),
        Job(id="j", status="Running"),
        Job(id="j", status="Running"),
        Job(id="j", status="Running"),
        Job(id="j", status="Completed"),
    )

    seen = [
        job.status
        async for job in watch(
            script.fetch, is_final=is_final, policy=STEADY, sleep=time.sleep, clock=time.clock
        )
    ]

    assert seen == ["Queued", "Running", "Completed"]
    assert len(script.polls) == 6


async def test_first_poll_is_immediate_and_the_interval_restarts_after_a_change() -> None:
    time = FakeTime()
    script = Script(
        time,
        Job(id="j", status="Queued"),
        Job(id="j", status="Queued"),
        Job(id="j", status="Queued"),
        Job(id="j", status="Running"),
        Job(id="j", status="Completed"),
    )

    await wait(script.fetch, is_final=is_final, policy=STEADY, sleep=time.sleep, clock=time.clock)

    assert script.polls[0] == 0.0
    assert time.sleeps == pytest.approx([0.5, 0.75, 1.125, 0.5])


async def test_watch_follows_several_fields() -> None:
    time = FakeTime()
    script = Script(
        time,
        Job(id="j", status="Running", progress_message="1/3"),
        Job(id="j", status="Running", progress_message="1/3"),
        Job(id="j", status="Running", progress_message="2/3"),
        Job(id="j", status="Completed", progress_message="2/3"),
    )

    seen = [
        (job.status, job.progress_message)
        async for job in watch(
            script.fetch,
            is_final=is_final,
            fields=("status", "progress_message"),
            sleep=time.sleep,
            clock=time.clock,
        )
    ]

    assert seen == [("Running", "1/3"), ("Running", "2/3"), ("Completed", "2/3")]


async def test_watch_accepts_a_state_key_and_plain_dicts() -> None:
    time = FakeTime()
    answers = iter(
        [{"state": {"status": "a"}}, {"state": {"status": "a"}}, {"state": {"status": "z"}}]
    )

    async def fetch() -> dict[str, Any]:
        return next(answers)

    seen = [
        snap["state"]["status"]
        async for snap in watch(
            fetch,
            is_final=lambda s: s["state"]["status"] == "z",
            state_key=lambda s: s["state"]["status"],
            sleep=time.sleep,
            clock=time.clock,
        )
    ]
    assert seen == ["a", "z"]


async def test_a_final_state_ends_the_watch_without_another_poll() -> None:
    time = FakeTime()
    script = Script(time, Job(id="j", status="Failed"))

    result = await wait(script.fetch, is_final=is_final, sleep=time.sleep, clock=time.clock)

    assert result.status == "Failed"
    assert len(script.polls) == 1
    assert time.sleeps == []


async def test_server_estimates_slow_polling_down_to_the_cap() -> None:
    time = FakeTime()
    queued = Job(id="j", status="Queued", estimated_start_time_seconds=120)
    script = Script(time, queued, queued, queued, Job(id="j", status="Completed"))

    await wait(
        script.fetch,
        is_final=is_final,
        policy=STEADY,
        hint=lambda job: job.estimated_start_time_seconds,
        sleep=time.sleep,
        clock=time.clock,
    )

    assert time.sleeps == [10.0, 10.0, 10.0]


async def test_timeout_raises_with_the_last_state_and_never_sleeps_past_the_deadline() -> None:
    time = FakeTime()
    script = Script(time, Job(id="job-7", status="Queued"), Job(id="job-7", status="Running"))

    with pytest.raises(WaitTimeoutError) as caught:
        await wait(
            script.fetch,
            is_final=is_final,
            timeout=5.0,
            policy=STEADY,
            sleep=time.sleep,
            clock=time.clock,
        )

    assert caught.value.last == Job(id="job-7", status="Running")
    assert caught.value.resource_id == "job-7"
    assert "job-7" in str(caught.value)
    assert time.now == pytest.approx(5.0)
    # A last look is taken at the deadline itself.
    assert script.polls[-1] == pytest.approx(5.0)
    assert isinstance(caught.value, TimeoutError)


async def test_timeout_error_uses_the_given_resource_id() -> None:
    time = FakeTime()
    script = Script(time, Job(id="ignored", status="Queued"))

    with pytest.raises(WaitTimeoutError) as caught:
        await wait(
            script.fetch,
            is_final=is_final,
            timeout=1.0,
            resource_id="sess-1",
            sleep=time.sleep,
            clock=time.clock,
        )
    assert caught.value.resource_id == "sess-1"


async def test_fetch_errors_end_the_watch_after_what_was_seen() -> None:
    time = FakeTime()
    calls = 0

    async def fetch() -> Job:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise NotFoundError("job gone", status=404)
        return Job(id="j", status="Queued")

    seen: list[str] = []

    async def follow() -> None:
        async for job in watch(fetch, is_final=is_final, sleep=time.sleep, clock=time.clock):
            seen.append(job.status)

    with pytest.raises(NotFoundError):
        await follow()
    assert seen == ["Queued"]
    assert calls == 3


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"state_key": lambda j: j.status, "fields": ("status",)}, "state_key"),
        ({"fields": ()}, "fields"),
        ({"fields": "status"}, "fields"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": -3}, "timeout"),
    ],
)
def test_watch_arguments_are_checked_at_once(kwargs: dict[str, Any], name: str) -> None:
    async def fetch() -> Job:
        raise AssertionError("not reached")

    with pytest.raises(ValueError, match=name):
        watch(fetch, is_final=is_final, **kwargs)


async def test_cancelling_a_waiting_task_returns_promptly_and_leaves_nothing() -> None:
    polled = asyncio.Event()

    async def fetch() -> Job:
        polled.set()
        return Job(id="j", status="Queued")

    # Real sleeps: the policy would wait hours, so only cancellation can end this.
    slow = PollPolicy(interval=3600.0, max_interval=3600.0)
    task = asyncio.create_task(wait(fetch, is_final=is_final, policy=slow))
    await polled.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert only_this_task()


async def test_an_anyio_cancel_scope_stops_a_watch() -> None:
    polls = 0

    with anyio.CancelScope() as scope:

        async def fetch() -> Job:
            nonlocal polls
            polls += 1
            if polls == 3:
                scope.cancel()
            return Job(id="j", status="Queued")

        await wait(fetch, is_final=is_final, policy=PollPolicy(interval=0.001, min_interval=0))

    assert scope.cancelled_caught
    assert polls == 3
    assert only_this_task()


# -- watch groups ------------------------------------------------------------------------------


class SessionServer:
    """Jobs of one session; each list request moves every job one step along its script."""

    def __init__(self, scripts: Mapping[str, list[str]], *, hidden: Iterable[str] = ()) -> None:
        self.scripts = {rid: list(steps) for rid, steps in scripts.items()}
        self.hidden = set(hidden)
        self.list_calls = 0
        self.get_calls: list[str] = []
        self.asked: list[frozenset[str]] = []
        self.in_flight = 0
        self.max_in_flight = 0

    def _current(self, rid: str, *, advance: bool = True) -> Job:
        steps = self.scripts[rid]
        status = steps.pop(0) if advance and len(steps) > 1 else steps[0]
        return Job(id=rid, status=status)

    async def list_many(self, ids: frozenset[str]) -> dict[str, Job]:
        self.list_calls += 1
        self.asked.append(ids)
        await anyio.lowlevel.checkpoint()
        # Like a real listing it answers every job of the session, watched or not; a job's
        # script only moves on when someone looks at it.
        return {
            rid: self._current(rid, advance=rid in ids)
            for rid in self.scripts
            if rid not in self.hidden
        }

    async def get_one(self, rid: str) -> Job:
        self.get_calls.append(rid)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await anyio.lowlevel.checkpoint()
            await anyio.lowlevel.checkpoint()
            if rid not in self.scripts:
                raise NotFoundError(f"no job {rid}", status=404)
            return self._current(rid)
        finally:
            self.in_flight -= 1


def group_of(
    server: SessionServer,
    time: FakeTime,
    ids: Iterable[str],
    *,
    listing: bool = True,
    **kwargs: Any,
) -> WatchGroup[Job]:
    return WatchGroup(
        ids,
        get_one=server.get_one,
        list_many=server.list_many if listing else None,
        is_final=is_final,
        policy=kwargs.pop("policy", STEADY),
        sleep=time.sleep,
        clock=time.clock,
        **kwargs,
    )


async def drain(group: WatchGroup[Job]) -> list[WatchEvent[Job]]:
    async with group:
        return [event async for event in group]


async def test_jobs_of_one_session_cost_one_list_request_a_tick() -> None:
    time = FakeTime()
    scripts = {
        f"job-{i}": ["Queued"] * (1 + i % 3) + ["Running"] * (1 + i % 2) + ["Completed"]
        for i in range(30)
    }
    server = SessionServer(scripts)
    group = group_of(server, time, scripts)

    events = await drain(group)

    assert server.get_calls == []
    assert group.stats.list_requests == group.stats.ticks == server.list_calls
    assert server.list_calls <= 6
    for rid in scripts:
        assert [e.snapshot.status for e in events if e.id == rid and e.snapshot] == [
            "Queued",
            "Running",
            "Completed",
        ]
    assert [e.final for e in events].count(True) == 30
    assert group.pending == frozenset()
    # Finished jobs are no longer asked for.
    assert len(server.asked[0]) == 30
    assert len(server.asked[-1]) < 30


async def test_unchanged_snapshots_are_not_yielded_again() -> None:
    time = FakeTime()
    server = SessionServer({"a": ["Queued"] * 6 + ["Completed"]})
    events = await drain(group_of(server, time, ["a"]))

    assert [e.snapshot.status for e in events if e.snapshot] == ["Queued", "Completed"]
    assert server.list_calls == 7


@pytest.mark.parametrize(
    ("listing", "pauses"),
    [
        # One listing serves every job: a change does not bring the whole group back to 0.5 s.
        (True, [0.5, 0.75, 1.125, 1.6875]),
        # Fetched one by one, the job that changed starts again from 0.5 s.
        (False, [0.5, 0.5, 0.75, 1.125]),
    ],
)
async def test_a_change_restarts_the_schedule_only_for_single_fetches(
    listing: bool, pauses: list[float]
) -> None:
    time = FakeTime()
    server = SessionServer({"a": ["Queued", "Running", "Running", "Running", "Completed"]})

    await drain(group_of(server, time, ["a"], listing=listing))

    assert time.sleeps == pytest.approx(pauses)


async def test_ids_missing_from_the_listing_are_fetched_one_by_one() -> None:
    time = FakeTime()
    server = SessionServer({"a": ["Running", "Completed"], "b": ["Completed"]}, hidden={"b"})
    group = group_of(server, time, ["a", "b"])

    events = await drain(group)

    assert server.get_calls == ["b"]
    assert group.stats.single_requests == 1
    assert {(e.id, e.snapshot.status) for e in events if e.snapshot} == {
        ("a", "Running"),
        ("a", "Completed"),
        ("b", "Completed"),
    }


async def test_without_a_list_call_gets_run_with_bounded_concurrency() -> None:
    time = FakeTime()
    scripts = {f"j{i}": ["Running", "Completed"] for i in range(20)}
    server = SessionServer(scripts)
    group = group_of(server, time, scripts, listing=False, concurrency=4)

    events = await drain(group)

    assert server.max_in_flight == 4
    assert group.stats.list_requests == 0
    assert group.stats.single_requests == len(server.get_calls) == 40
    assert sum(e.final for e in events) == 20


async def test_a_shared_limiter_bounds_single_fetches_too() -> None:
    time = FakeTime()
    scripts = {f"j{i}": ["Completed"] for i in range(10)}
    server = SessionServer(scripts)
    limiter = anyio.CapacityLimiter(2)
    group = group_of(server, time, scripts, listing=False, concurrency=8, limiter=limiter)

    await drain(group)

    assert server.max_in_flight == 2


async def test_an_error_for_one_id_is_reported_and_the_others_go_on() -> None:
    time = FakeTime()
    server = SessionServer({"a": ["Queued", "Running", "Completed"]})
    group = group_of(server, time, ["a", "missing"], listing=False)

    events = await drain(group)

    failures = [e for e in events if not e.ok]
    assert len(failures) == 1
    assert failures[0].id == "missing"
    assert isinstance(failures[0].error, NotFoundError)
    assert failures[0].snapshot is None
    assert [e.snapshot.status for e in events if e.id == "a" and e.snapshot] == [
        "Queued",
        "Running",
        "Completed",
    ]
    assert group.stats.errors == 1


async def test_ids_can_be_added_while_the_group_runs() -> None:
    time = FakeTime()
    server = SessionServer({"a": ["Queued", "Completed"], "b": ["Running", "Completed"]})
    group = group_of(server, time, ["a"])
    seen: list[tuple[str, str]] = []

    async with group:
        async for event in group:
            assert event.snapshot is not None
            seen.append((event.id, event.snapshot.status))
            if event.id == "a" and not event.final:
                group.add("b")

    assert ("b", "Running") in seen
    assert ("b", "Completed") in seen
    assert seen.index(("a", "Queued")) == 0


async def test_adding_an_id_wakes_a_sleeping_group() -> None:
    server = SessionServer({"a": ["Queued"], "b": ["Completed"]})
    group = WatchGroup(
        ["a"],
        get_one=server.get_one,
        is_final=is_final,
        policy=PollPolicy(interval=3600.0, max_interval=3600.0),
    )
    seen: list[str] = []

    async def follow() -> None:
        async with group:
            async for event in group:
                seen.append(event.id)
                if event.id == "b":
                    return

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(follow)
        while seen != ["a"]:
            await anyio.lowlevel.checkpoint()
        group.add("b")

    assert seen == ["a", "b"]
    assert only_this_task()


async def test_a_group_expecting_more_ids_waits_until_done_adding() -> None:
    server = SessionServer({"a": ["Completed"], "b": ["Queued", "Completed"]})
    group = WatchGroup(
        [],
        get_one=server.get_one,
        is_final=is_final,
        policy=PollPolicy(interval=0.001, min_interval=0.0, jitter=0.0),
        expect_more=True,
    )
    seen: list[tuple[str, bool]] = []
    finals = {"a": anyio.Event(), "b": anyio.Event()}

    async def follow() -> None:
        async with group:
            async for event in group:
                seen.append((event.id, event.final))
                if event.final:
                    finals[event.id].set()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(follow)
        group.add("a")
        await finals["a"].wait()
        # Everything watched is final, yet the group is still waiting for more.
        await anyio.sleep(0.05)
        group.add("b")
        await finals["b"].wait()
        group.done_adding()

    assert seen == [("a", True), ("b", False), ("b", True)]
    assert only_this_task()


async def test_group_timeout_raises_with_the_unfinished_ids() -> None:
    time = FakeTime()
    server = SessionServer({"a": ["Queued", "Completed"], "b": ["Running"]})
    group = group_of(server, time, ["a", "b"], timeout=30.0)

    with pytest.raises(WaitTimeoutError) as caught:
        await drain(group)

    assert set(caught.value.last) == {"b"}
    assert caught.value.last["b"].status == "Running"
    assert caught.value.resource_id == "b"
    assert time.now == pytest.approx(30.0)


async def test_cancelling_a_group_leaves_no_task_behind() -> None:
    server = SessionServer({f"j{i}": ["Running"] for i in range(5)})
    group = WatchGroup(
        server.scripts,
        get_one=server.get_one,
        is_final=is_final,
        policy=PollPolicy(interval=3600.0, max_interval=3600.0),
    )
    first = asyncio.Event()

    async def follow() -> None:
        async with group:
            async for _ in group:
                first.set()

    task = asyncio.create_task(follow())
    await first.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert only_this_task()
    with pytest.raises(RuntimeError, match="closed"):
        group.add("late")


async def test_breaking_out_of_a_group_closes_it() -> None:
    time = FakeTime()
    server = SessionServer({"a": ["Queued", "Running", "Completed"]})
    group = group_of(server, time, ["a"])

    async with group:
        async for _ in group:
            break

    assert server.list_calls == 1
    assert only_this_task()
    with pytest.raises(RuntimeError, match="closed"):
        group.__aiter__()


def test_group_arguments_are_validated() -> None:
    server = SessionServer({})
    with pytest.raises(ValueError, match="concurrency"):
        WatchGroup(get_one=server.get_one, is_final=is_final, concurrency=0)
    with pytest.raises(ValueError, match="timeout"):
        WatchGroup(get_one=server.get_one, is_final=is_final, timeout=-1)
    with pytest.raises(ValueError, match="resource id"):
        WatchGroup([""], get_one=server.get_one, is_final=is_final)


async def test_an_empty_group_ends_at_once() -> None:
    server = SessionServer({})
    group: WatchGroup[Job] = WatchGroup(get_one=server.get_one, is_final=is_final)
    assert await drain(group) == []
    assert group.stats.ticks == 0


async def test_group_follows_server_hints_per_resource() -> None:
    time = FakeTime()

    calls: list[tuple[str, float]] = []

    async def get_one(rid: str) -> Job:
        calls.append((rid, time.now))
        if time.now >= 20:
            return Job(id=rid, status="Completed")
        return Job(id=rid, status="Queued", estimated_start_time_seconds=300)

    group = WatchGroup(
        ["slow"],
        get_one=get_one,
        is_final=is_final,
        policy=STEADY,
        hint=lambda job: job.estimated_start_time_seconds,
        sleep=time.sleep,
        clock=time.clock,
    )
    await drain(group)

    assert [t for _, t in calls] == [0.0, 10.0, 20.0]


# -- edges of the group's schedule -----------------------------------------------------------------


async def test_a_group_expecting_more_still_honours_its_timeout() -> None:
    time = FakeTime()
    server = SessionServer({"a": ["Completed"]})
    group = group_of(server, time, ["a"], expect_more=True, timeout=5.0)
    seen: list[str] = []

    async def follow() -> None:
        async with group:
            async for event in group:
                seen.append(event.id)

    with pytest.raises(WaitTimeoutError):
        await follow()
    assert seen == ["a"]  # then it waited for more ids, until the timeout
    assert time.now == pytest.approx(5.0)
    with pytest.raises(RuntimeError, match="closed"):
        group.add("b")


async def test_ids_added_after_the_group_finished_are_refused() -> None:
    time = FakeTime()
    server = SessionServer({"a": ["Completed"]})
    group = group_of(server, time, ["a"])
    await drain(group)
    with pytest.raises(RuntimeError, match="closed"):
        group.add("late")


async def test_a_slow_server_still_gets_a_rest_between_ticks() -> None:
    time = FakeTime()
    starts: list[float] = []

    async def slow_get(rid: str) -> Job:
        starts.append(time.now)
        time.now += 0.3  # each request takes longer than the interval
        return Job(id=rid, status="Running" if len(starts) < 5 else "Completed")

    group = WatchGroup(
        ["a"],
        get_one=slow_get,
        is_final=is_final,
        policy=PollPolicy(interval=0.2, multiplier=1.0, min_interval=0.1, jitter=0.0),
        sleep=time.sleep,
        clock=time.clock,
    )
    async with group:
        async for _ in group:
            pass
    gaps = [later - (earlier + 0.3) for earlier, later in itertools.pairwise(starts)]
    assert len(starts) == 5
    assert all(gap >= 0.1 - 1e-9 for gap in gaps), gaps


def test_a_timedelta_timeout_is_stored_as_seconds() -> None:
    policy = PollPolicy(timeout=timedelta(seconds=90))
    assert policy.timeout == 90.0
    assert policy.with_timeout(timedelta(minutes=2)).timeout == 120.0
    assert policy.delay(1, elapsed=89.9) == pytest.approx(0.1)


# -- request accounting of listings -----------------------------------------------------------


async def test_list_requests_counts_every_page_of_a_listing() -> None:
    from qruntime_async._paging import AsyncPager
    from qruntime_async._paging_schemes import OffsetPaging
    from qruntime_async._watch_group import listing_lookup

    class Snap(msgspec.Struct):
        id: str
        status: str

    class Listing(msgspec.Struct):
        jobs: list[Snap]
        count: int

    jobs = [Snap(id=f"j{i}", status="done") for i in range(25)]
    fetched: list[dict[str, Any]] = []

    async def fetch(params: dict[str, Any]) -> Listing:
        fetched.append(params)
        start, size = params["offset"], params["limit"]
        return Listing(jobs=jobs[start : start + size], count=len(jobs))

    def pager() -> AsyncPager[Snap]:
        return AsyncPager(fetch, OffsetPaging(items=lambda p: p.jobs, page_size=10))

    group: WatchGroup[Snap] = WatchGroup(
        [job.id for job in jobs],
        get_one=lambda rid: pytest.fail("every job is in the listing"),
        list_many=listing_lookup(pager, lambda job: job.id),
        is_final=lambda job: job.status == "done",
    )
    async with group:
        events = [event async for event in group]
    assert len(events) == 25
    assert len(fetched) == 3  # 25 jobs in pages of 10
    assert group.stats.list_requests == 3
    assert group.stats.single_requests == 0
