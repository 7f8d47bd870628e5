"""The ``qruntime`` command against a running emulator: exit codes, JSON output, messages."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Coroutine
from typing import IO, Any, TypeVar

import aiohttp
import pytest

from qruntime_async.emulator import (
    IBM_ADMIN_TOKEN,
    IBM_API_KEY,
    IBM_BACKEND,
    IBM_BUSY_BACKEND,
    IBM_HUB,
    IBM_OTHER_INSTANCE,
    IBM_OTHER_TOKEN,
    IBM_SERVICE_CRN,
    IBM_TOKEN,
    SCALEWAY_AER_PLATFORM_ID,
    SCALEWAY_PROJECT_ID,
    SCALEWAY_SECRET_KEY,
    Emulator,
)

from ..conftest import run_cli as run
from .conftest import (
    BELL,
    BROKEN_QASM,
    FAST,
    SPEED,
    Control,
    ibm_for,
    sampler_params,
    scaleway_for,
)

T = TypeVar("T")

pytestmark = pytest.mark.usefixtures("no_cli_credentials")


def sync(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def set_speed(emu: Emulator, speed: float) -> None:
    async with aiohttp.ClientSession() as session:
        await Control(emu.url, session).clock(speed=speed)


def ibm_args(emu: Emulator, token: str = IBM_TOKEN) -> list[str]:
    return ["--url", emu.ibm_url, "--token", token]


def scw_args(emu: Emulator, key: str = SCALEWAY_SECRET_KEY) -> list[str]:
    return ["--url", emu.scaleway_url, "--secret-key", key, "--project-id", SCALEWAY_PROJECT_ID]


async def _ibm_jobs(emu: Emulator, *, wait: bool = True, **kwargs: Any) -> list[str]:
    async with ibm_for(emu) as client:
        done = await client.jobs.submit(
            "sampler", backend=IBM_BACKEND, params=sampler_params(), tags=["cli"]
        )
        queued = await client.jobs.submit(
            "sampler", backend=IBM_BUSY_BACKEND, params=sampler_params()
        )
        if wait:
            await client.jobs.wait(done.id, policy=FAST, timeout=10)
        return [done.id, queued.id]


def test_ibm_workloads_list_json(qruntime_emulator: Emulator) -> None:
    done, queued = sync(_ibm_jobs(qruntime_emulator))
    code, out, err = run("ibm", "workloads", "list", "--json", *ibm_args(qruntime_emulator))
    assert code == 0, err
    items = json.loads(out)
    assert [item["id"] for item in items] == [queued, done]
    assert items[1]["status"] == "completed"
    assert items[1]["mode"] == "job"

    code, out, _ = run(
        "ibm", "workloads", "list", "--json", "--status", "completed", "--tag", "cli",
        *ibm_args(qruntime_emulator),
    )  # fmt: skip
    assert code == 0
    assert [item["id"] for item in json.loads(out)] == [done]

    code, out, _ = run(
        "ibm", "workloads", "list", "--json", "--order", "asc", "--limit", "1",
        *ibm_args(qruntime_emulator),
    )  # fmt: skip
    assert code == 0
    assert [item["id"] for item in json.loads(out)] == [done]


def test_ibm_workloads_list_by_creation_time(qruntime_emulator: Emulator) -> None:
    sync(_ibm_jobs(qruntime_emulator))
    args = ibm_args(qruntime_emulator)
    code, out, err = run(
        "ibm", "workloads", "list", "--json", "--sort", "createdAt",
        "--created-after", "2000-01-01T00:00:00Z", *args,
    )  # fmt: skip
    assert code == 0, err
    assert len(json.loads(out)) == 2
    code, out, err = run(
        "ibm", "workloads", "list", "--json", "--created-before", "2000-01-01T00:00:00+00:00",
        *args,
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out) == []
    code, _, err = run("ibm", "workloads", "list", "--created-after", "2000-01-01", *args)
    assert code == 2
    assert "zone" in err


def test_ibm_workloads_list_admin(qruntime_emulator: Emulator) -> None:
    async def bob_job() -> str:
        async with ibm_for(qruntime_emulator, IBM_OTHER_TOKEN, instance=IBM_OTHER_INSTANCE) as bob:
            answer = await bob.jobs.submit("sampler", backend=IBM_BACKEND, params=sampler_params())
            return answer.id

    alice = sync(_ibm_jobs(qruntime_emulator, wait=False))
    bob = sync(bob_job())
    code, out, err = run(
        "ibm", "workloads", "list", "--admin", "--instance", IBM_HUB, "--json",
        *ibm_args(qruntime_emulator, IBM_ADMIN_TOKEN),
    )  # fmt: skip
    assert code == 0, err
    assert {item["id"] for item in json.loads(out)} == {*alice, bob}

    # A non-administrator is refused, with the server's reason and exit code 1.
    code, out, err = run(
        "ibm", "workloads", "list", "--admin", "--instance", IBM_HUB, "--json",
        *ibm_args(qruntime_emulator),
    )  # fmt: skip
    assert code == 1
    assert out == ""
    assert "PermissionDeniedError" in err
    assert "403" in err


def test_ibm_api_error_exits_1_without_the_token(qruntime_emulator: Emulator) -> None:
    secret = "emu-ibm-token-not-a-real-one-42"
    code, out, err = run("ibm", "workloads", "list", "--json", *ibm_args(qruntime_emulator, secret))
    assert code == 1
    assert out == ""
    assert "AuthenticationError" in err
    assert "401" in err
    assert secret not in err

    code, _, err = run("ibm", "jobs", "watch", "cdoesnotexist0000000", *ibm_args(qruntime_emulator))
    assert code == 1
    assert "NotFoundError" in err
    assert "404" in err


def test_usage_errors_exit_2(
    qruntime_emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ibm_args(qruntime_emulator)
    assert run("ibm", "workloads", "list", "--status", "finished", *args)[0] == 2
    assert run("ibm", "workloads", "list", "--limit", "0", *args)[0] == 2
    assert run("ibm", "jobs", "watch", *args)[0] == 2  # no job id
    assert run("ibm", "teleport", *args)[0] == 2
    assert run("scaleway", "jobs", "list", "--limit", "many")[0] == 2
    capsys.readouterr()  # argparse writes its usage to the real stderr

    code, _, err = run("ibm", "workloads", "list", "--admin", *args)
    assert code == 2
    assert "--instance" in err
    code, _, err = run("ibm", "workloads", "list", "--url", qruntime_emulator.ibm_url)
    assert code == 2
    assert "credentials" in err
    code, _, err = run("scaleway", "jobs", "list", "--url", qruntime_emulator.scaleway_url)
    assert code == 2
    assert "SCW_SECRET_KEY" in err


def test_ibm_jobs_watch(qruntime_emulator: Emulator) -> None:
    done, queued = sync(_ibm_jobs(qruntime_emulator))
    code, out, err = run("ibm", "jobs", "watch", done, "--json", *ibm_args(qruntime_emulator))
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[-1]["id"] == done
    assert lines[-1]["status"] == "Completed"
    # The emulator sends IBM's zone-less timestamps; the JSON printed carries the zone.
    assert lines[-1]["created"].endswith("Z")

    # A job that stays queued (the clock is stopped): the watch prints its state, then gives
    # up with exit code 1.
    sync(set_speed(qruntime_emulator, 0))
    code, out, err = run(
        "ibm", "jobs", "watch", queued, "--timeout", "0.3", *ibm_args(qruntime_emulator)
    )
    sync(set_speed(qruntime_emulator, SPEED))
    assert code == 1
    assert out.splitlines() == [f"{queued}  Queued"]
    assert "WaitTimeoutError" in err

    async def cancel() -> None:
        async with ibm_for(qruntime_emulator) as client:
            await client.jobs.cancel(queued)

    sync(cancel())
    code, out, _ = run("ibm", "jobs", "watch", queued, *ibm_args(qruntime_emulator))
    assert code == 1
    assert out.splitlines() == [f"{queued}  Cancelled  (Cancelled by user)"]


def test_ibm_sessions_show(qruntime_emulator: Emulator) -> None:
    async def session() -> str:
        async with ibm_for(qruntime_emulator) as client:
            created = await client.sessions.create(backend=IBM_BACKEND, mode="batch", max_ttl=900)
            return created.id

    session_id = sync(session())
    code, out, err = run(
        "ibm", "sessions", "show", session_id, "--json", *ibm_args(qruntime_emulator)
    )
    assert code == 0, err
    details = json.loads(out)
    assert details["id"] == session_id
    assert details["status"] == "pending"
    assert details["max_ttl"] == 900
    assert details["backend_name"] == IBM_BACKEND

    code, out, _ = run("ibm", "sessions", "show", session_id, *ibm_args(qruntime_emulator))
    assert code == 0
    fields = dict(line.split(None, 1) for line in out.splitlines())
    assert fields["id"] == session_id
    assert fields["mode"] == "batch"
    assert fields["status"] == "pending"

    code, _, err = run(
        "ibm", "sessions", "show", session_id, *ibm_args(qruntime_emulator, IBM_OTHER_TOKEN)
    )
    assert code == 1
    assert "NotFoundError" in err


def test_scaleway_jobs_list_and_watch(qruntime_emulator: Emulator) -> None:
    async def jobs() -> tuple[str, list[str]]:
        async with scaleway_for(qruntime_emulator) as client:
            session = await client.sessions.create(SCALEWAY_AER_PLATFORM_ID)
            ids = [
                (await client.jobs.create(session.id, BELL, name=f"cli-{i}", tags=[f"t{i}"])).id
                for i in range(3)
            ]
            await client.jobs.wait(ids[0], policy=FAST, timeout=10)
            return session.id, ids

    session_id, ids = sync(jobs())
    args = scw_args(qruntime_emulator)
    code, out, err = run("scaleway", "jobs", "list", "--json", *args)
    assert code == 0, err
    listed = json.loads(out)
    assert [job["id"] for job in listed] == ids[::-1]
    assert all(job["created_at"].endswith("Z") for job in listed)
    assert all(job["session_id"] == session_id for job in listed)

    code, out, _ = run("scaleway", "jobs", "list", "--json", "--session-id", session_id, *args)
    assert code == 0
    assert {job["id"] for job in json.loads(out)} == set(ids)
    code, out, _ = run(
        "scaleway", "jobs", "list", "--json", "--tag", "t1", "--order-by", "name_asc", *args
    )
    assert code == 0
    assert [job["name"] for job in json.loads(out)] == ["cli-1"]
    code, out, _ = run("scaleway", "jobs", "list", "--json", "--limit", "2", *args)
    assert code == 0
    assert len(json.loads(out)) == 2

    code, out, err = run("scaleway", "jobs", "watch", ids[2], "--json", *args)
    assert code == 0, err
    states = [json.loads(line)["status"] for line in out.splitlines()]
    assert states[-1] == "completed"
    assert len(states) == len(set(states))

    code, out, _ = run("scaleway", "jobs", "watch", ids[0], *args)
    assert code == 0
    assert out.splitlines() == [f"{ids[0]}  completed  (completed)"]

    wrong = "5ca1e0a1-5ec4-4e7a-9b1c-00000000f00d"
    code, out, err = run("scaleway", "jobs", "list", *scw_args(qruntime_emulator, wrong))
    assert code == 1
    assert out == ""
    assert "AuthenticationError" in err
    assert wrong not in err


def test_plain_tables_show_whole_ids(
    qruntime_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Output piped to a file or another program: the ids must be usable as they are printed.
    monkeypatch.delenv("COLUMNS", raising=False)
    done, queued = sync(_ibm_jobs(qruntime_emulator))
    code, out, err = run("ibm", "workloads", "list", *ibm_args(qruntime_emulator))
    assert code == 0, err
    assert done in out
    assert queued in out

    async def scaleway_job() -> str:
        async with scaleway_for(qruntime_emulator) as client:
            session = await client.sessions.create(SCALEWAY_AER_PLATFORM_ID)
            return (await client.jobs.create(session.id, BELL, name="table")).id

    job_id = sync(scaleway_job())
    code, out, err = run("scaleway", "jobs", "list", *scw_args(qruntime_emulator))
    assert code == 0, err
    assert job_id in out


def test_ibm_cloud_credentials_from_the_environment(
    qruntime_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    done, queued = sync(_ibm_jobs(qruntime_emulator))
    monkeypatch.setenv("QRUNTIME_IBM_API_KEY", IBM_API_KEY)
    monkeypatch.setenv("QRUNTIME_IBM_SERVICE_CRN", IBM_SERVICE_CRN)
    monkeypatch.setenv("QRUNTIME_IBM_IAM_URL", qruntime_emulator.iam_url)
    monkeypatch.setenv("QRUNTIME_IBM_URL", qruntime_emulator.ibm_url)
    code, out, err = run("ibm", "workloads", "list", "--json")
    assert code == 0, err
    assert [item["id"] for item in json.loads(out)] == [queued, done]

    monkeypatch.setenv("QRUNTIME_IBM_API_KEY", "emu-ibm-cloud-apikey-revoked")
    code, out, err = run("ibm", "workloads", "list", "--json")
    assert code == 1
    assert out == ""
    assert "emu-ibm-cloud-apikey-revoked" not in err


def test_ibm_jobs_watch_exit_code_follows_the_final_state(qruntime_emulator: Emulator) -> None:
    async def failed_job() -> str:
        async with ibm_for(qruntime_emulator) as client:
            answer = await client.jobs.submit(
                "sampler", backend=IBM_BACKEND, params=sampler_params(circuit=BROKEN_QASM)
            )
            await client.jobs.wait(answer.id, policy=FAST, timeout=10)
            return answer.id

    failed = sync(failed_job())
    code, out, err = run("ibm", "jobs", "watch", failed, *ibm_args(qruntime_emulator))
    assert code == 1, err
    assert out.splitlines()[-1].startswith(f"{failed}  Failed")
    assert err == ""

    code, out, err = run("ibm", "jobs", "watch", failed, "--json", *ibm_args(qruntime_emulator))
    assert code == 1
    assert json.loads(out.splitlines()[-1])["status"] == "Failed"

    done, _ = sync(_ibm_jobs(qruntime_emulator))
    assert run("ibm", "jobs", "watch", done, *ibm_args(qruntime_emulator))[0] == 0


def test_scaleway_jobs_watch_exit_code_follows_the_final_state(
    qruntime_emulator: Emulator,
) -> None:
    async def jobs() -> tuple[str, str, str]:
        async with scaleway_for(qruntime_emulator) as client:
            session = await client.sessions.create(SCALEWAY_AER_PLATFORM_ID)
            done = await client.jobs.create(session.id, BELL, name="done")
            broken = await client.jobs.create(session.id, BROKEN_QASM, name="broken")
            long = await client.jobs.create(
                session.id, BELL, name="long", parameters={"shots": 1_000_000}
            )
            await client.jobs.cancel(long.id)
            for job_id in (done.id, broken.id, long.id):
                await client.jobs.wait(job_id, policy=FAST, timeout=10)
            return done.id, broken.id, long.id

    done, broken, cancelled = sync(jobs())
    args = scw_args(qruntime_emulator)
    code, out, err = run("scaleway", "jobs", "watch", done, *args)
    assert (code, err) == (0, "")
    code, out, err = run("scaleway", "jobs", "watch", broken, *args)
    assert code == 1
    assert out.split()[1] == "error"
    assert err == ""
    code, out, err = run("scaleway", "jobs", "watch", cancelled, "--json", *args)
    assert code == 1
    assert json.loads(out.splitlines()[-1])["status"] == "cancelled"


def test_watch_timeout_names_the_last_status(qruntime_emulator: Emulator) -> None:
    _, queued = sync(_ibm_jobs(qruntime_emulator, wait=False))

    async def scaleway_job() -> str:
        async with scaleway_for(qruntime_emulator) as client:
            session = await client.sessions.create(SCALEWAY_AER_PLATFORM_ID)
            return (await client.jobs.create(session.id, BELL, name="stuck")).id

    stuck = sync(scaleway_job())
    sync(set_speed(qruntime_emulator, 0))
    try:
        code, out, err = run(
            "ibm", "jobs", "watch", queued, "--timeout", "0.3", *ibm_args(qruntime_emulator)
        )
        assert code == 1
        assert err == f"qruntime: WaitTimeoutError: job {queued} still Queued after 0.3 s\n"

        code, out, err = run(
            "scaleway", "jobs", "watch", stuck, "--timeout", "0.3", "--json",
            *scw_args(qruntime_emulator),
        )  # fmt: skip
        status = json.loads(out.splitlines()[-1])["status"]
        assert code == 1
        assert json.loads(err) == {
            "error": {
                "type": "WaitTimeoutError",
                "message": f"job {stuck} still {status} after 0.3 s",
                "status": None,
            }
        }
    finally:
        sync(set_speed(qruntime_emulator, SPEED))


def test_json_errors_are_json(qruntime_emulator: Emulator) -> None:
    missing = "cdoesnotexist0000000"
    code, out, err = run("ibm", "jobs", "watch", missing, "--json", *ibm_args(qruntime_emulator))
    assert (code, out) == (1, "")
    error = json.loads(err)["error"]
    assert error["type"] == "NotFoundError"
    assert error["status"] == 404
    assert missing in error["message"]

    wrong = "5ca1e0a1-5ec4-4e7a-9b1c-00000000f00d"
    code, out, err = run("scaleway", "jobs", "list", "--json", *scw_args(qruntime_emulator, wrong))
    assert (code, out) == (1, "")
    error = json.loads(err)["error"]
    assert (error["type"], error["status"]) == ("AuthenticationError", 401)
    assert wrong not in err

    # Usage errors, whether argparse or the command finds them.
    code, out, err = run(
        "ibm", "workloads", "list", "--admin", "--json", *ibm_args(qruntime_emulator)
    )
    assert (code, out) == (2, "")
    error = json.loads(err)["error"]
    assert (error["type"], error["status"]) == ("UsageError", None)
    assert "--instance" in error["message"]
    code, out, err = run(
        "ibm", "workloads", "list", "--limit", "0", "--json", *ibm_args(qruntime_emulator)
    )
    assert (code, out) == (2, "")
    assert "--limit" in json.loads(err)["error"]["message"]


def test_errors_never_show_a_credential(qruntime_emulator: Emulator) -> None:
    # A token pasted where the job id goes comes back in the server's 404 message (the URL).
    code, out, err = run("ibm", "jobs", "watch", IBM_TOKEN, "--json", *ibm_args(qruntime_emulator))
    assert (code, out) == (1, "")
    assert json.loads(err)["error"]["status"] == 404
    assert IBM_TOKEN not in err
    code, _, err = run("ibm", "jobs", "watch", IBM_TOKEN, *ibm_args(qruntime_emulator))
    assert code == 1
    assert "NotFoundError" in err
    assert IBM_TOKEN not in err


# -- the `qruntime emulator` command, as a process ----------------------------------------------
QRUNTIME = [sys.executable, "-c", "from qruntime_async.cli import entry_point; entry_point()"]


def _reader(stream: IO[str]) -> tuple[queue.Queue[str], threading.Thread]:
    """A thread putting the lines of a child's output in a queue as they come."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in stream:
            lines.put(line)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return lines, thread


def test_emulator_port_in_use_is_one_line(qruntime_emulator: Emulator) -> None:
    port = qruntime_emulator.port
    done = subprocess.run(
        [*QRUNTIME, "emulator", "--host", "127.0.0.1", "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"qruntime: error: port {port} on 127.0.0.1 is already in use "
        "(choose another --port, or --port 0 for a free one)"
    ]


def test_emulator_banner_iam_url_is_what_the_client_takes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proc = subprocess.Popen(
        [*QRUNTIME, "emulator", "--host", "127.0.0.1", "--port", "0", "--speed", str(SPEED)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    lines, reader = _reader(proc.stdout)
    try:
        banner: dict[str, str] = {}
        line = ""
        while not line.startswith("Press Ctrl-C"):
            line = lines.get(timeout=30)
            label, _, value = line.strip().partition("  ")
            if value:
                banner.setdefault(label, value.strip().split()[0])
        monkeypatch.setenv("QRUNTIME_IBM_URL", banner["base URL"])
        monkeypatch.setenv("QRUNTIME_IBM_IAM_URL", banner["IAM URL"])
        monkeypatch.setenv("QRUNTIME_IBM_API_KEY", banner["API key"])
        monkeypatch.setenv("QRUNTIME_IBM_SERVICE_CRN", banner["Service-CRN"])
        code, out, err = run("ibm", "workloads", "list", "--json")
        assert code == 0, err
        assert json.loads(out) == []
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=30)
        proc.stdout.close()
    if os.name == "posix":
        assert proc.returncode == 0
