"""IBM session summaries: kept up to date job by job, they match a summary made from scratch."""

from __future__ import annotations

import random

import pytest

from qruntime_async.emulator.ibm.state import (
    IbmJob,
    IbmSession,
    add_job,
    cancel,
    session_phase,
    session_start,
    session_state,
    summary_of,
)


def make_session(rng: random.Random) -> IbmSession:
    return IbmSession(
        id="s",
        seq=0,
        user_id="u",
        instance="h/g/p",
        backend="b",
        mode=rng.choice(["batch", "dedicated"]),
        created=1000.0,
        max_ttl=rng.choice([30.0, 120.0, 1000.0]),
        interactive_ttl=rng.choice([0.0, 5.0, 60.0]),
    )


def make_job(s: IbmSession, seq: int, now: float, start: float, rng: random.Random) -> IbmJob:
    return IbmJob(
        id=f"j{seq}",
        seq=seq,
        user_id="u",
        instance="h/g/p",
        backend="b",
        program_id="sampler",
        params={},
        tags=[],
        session=s,
        log_level=None,
        private=False,
        max_execution=rng.choice([3.0, 50.0, 10800.0]),
        created=now,
        start=start,
        run_seconds=rng.uniform(0.5, 10.0),
        will_fail=rng.random() < 0.2,
        failure_reason="boom",
        shots=1,
        circuits=1,
    )


def fresh(s: IbmSession) -> tuple[object, ...]:
    """The summary derived from scratch, as a comparable tuple."""
    kept, s.summary = s.summary, None
    try:
        m = summary_of(s)
        return (m.first_start, m.deadline, m.intervals, m.peak_ends, m.prev_end, m.last_final)
    finally:
        s.summary = kept


@pytest.mark.parametrize("seed", range(40))
def test_incremental_summary_matches_a_fresh_one(seed: int) -> None:
    rng = random.Random(seed)
    s = make_session(rng)
    now = s.created
    for seq in range(1, 40):
        now += rng.choice([0.0, 0.1, 1.0, 5.0, 40.0])
        roll = rng.random()
        if roll < 0.15 and s.jobs:
            job = rng.choice(s.jobs)
            if job.cancelled_at is None:
                cancel(job, now, "Cancelled by user")
        else:
            # mostly where the emulator would put it, sometimes anywhere
            start = session_start(s, now, rng.uniform(0, 20)) if roll < 0.8 else now + 50 * roll
            add_job(s, make_job(s, seq, now, start, rng))
        m = summary_of(s)
        assert (
            m.first_start,
            m.deadline,
            m.intervals,
            m.peak_ends,
            m.prev_end,
            m.last_final,
        ) == fresh(s)
        for probe in (now, now + 0.05, now + 3, now + 100):
            assert session_phase(s, probe) == session_state(s, probe).state
