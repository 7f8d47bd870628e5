"""Rich display of jobs, sessions, pages, watch events and results, and their plots."""

from __future__ import annotations

import importlib.util
import io
import re
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import msgspec
import pytest
from rich.console import Console

from qruntime_async import Page, WatchEvent
from qruntime_async._codec import decode
from qruntime_async.display import (
    MAX_OUTCOMES,
    Counts,
    Displayable,
    marginal_counts,
    status_category,
    view,
)
from qruntime_async.errors import NotFoundError
from qruntime_async.ibm import models as ibm
from qruntime_async.ibm.results import (
    EstimatorResult,
    Register,
    SamplerPub,
    SamplerResult,
    decode_result,
)
from qruntime_async.scaleway import models as scw

EVIL = "<script>alert(1)</script>\"'&<img src=x onerror=alert(2)>"
WHEN = datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone.utc)


def rich_text(obj: object) -> str:
    console = Console(width=200, record=True, color_system=None, file=io.StringIO())
    console.print(obj)
    return console.export_text()


def sampler_document() -> dict[str, Any]:
    return {
        "results": [
            {
                "data": {
                    "meas": {"samples": ["0x0", "0x3", "0x3", "0x0", "0x3"], "num_bits": 2},
                    "flag": {"samples": ["0x1", "0x0", "0x1", "0x1", "0x1"], "num_bits": 1},
                },
                "metadata": {"shots": 5},
            }
        ],
        "metadata": {"backend": "ibm_test", "job_id": "job-1"},
    }


def estimator_document() -> dict[str, Any]:
    return {
        "results": [
            {"data": {"evs": [0.5, -0.25], "stds": [0.01, 0.02]}, "metadata": {}},
            {"data": {"evs": 0.75, "stds": 0.05}, "metadata": {}},
        ],
        "metadata": {"backend": "ibm_test"},
    }


def ibm_job(**changes: Any) -> ibm.Job:
    fields: dict[str, Any] = {
        "id": "job-1",
        "backend": "ibm_test",
        "status": "Completed",
        "state": ibm.JobState(status="Completed"),
        "program": ibm.JobProgram(id="sampler"),
        "created": WHEN,
        "ended": WHEN,
        "session_id": "s-1",
        "tags": ["mine", "qruntime-idempotency-key:abc"],
        "usage": ibm.JobUsage(seconds=2.5),
    }
    fields.update(changes)
    return ibm.Job(**fields)


# --------------------------------------------------------------------------------------------
# Jobs, sessions, pages


def test_an_ibm_job_shows_status_backend_and_times() -> None:
    job = ibm_job()
    page = job._repr_html_()
    assert "<table" in page
    assert "job-1" in page
    assert "ibm_test" in page
    assert "2025-03-04 05:06:07 UTC" in page
    assert "#1a7f37" in page  # completed: green
    assert "mine" in page
    assert "qruntime-idempotency-key" not in page
    line = job.summary()
    assert "\n" not in line
    assert line.startswith("IBM job job-1 [Completed]: program sampler, backend ibm_test")
    text = rich_text(job)
    assert "job-1" in text
    assert "Completed" in text
    assert "2.5 s" in text


def test_a_job_that_ran_too_long_says_so() -> None:
    job = ibm_job(
        status="Cancelled - Ran too long",
        state=ibm.JobState(status="Cancelled", reason="Ran too long", reason_code=1305),
    )
    assert "[Cancelled - Ran too long]" in job.summary()
    assert "#bc4c00" in job._repr_html_()


@pytest.mark.parametrize(
    ("status", "category"),
    [
        ("Completed", "ok"),
        ("completed", "ok"),
        ("Failed", "bad"),
        ("error", "bad"),
        ("Cancelled - Ran too long", "cancelled"),
        ("canceled", "cancelled"),
        ("cancelling", "cancelled"),
        ("Running", "running"),
        ("in_progress", "running"),
        ("Queued", "waiting"),
        ("waiting", "waiting"),
        ("stopped", "ended"),
        ("something new", "unknown"),
        (None, "unknown"),
    ],
)
def test_status_categories(status: str | None, category: str) -> None:
    assert status_category(status) == category


def test_sessions_of_both_services() -> None:
    session = ibm.Session(id="s-1", backend_name="ibm_test", state="active", mode="batch")
    assert session.summary().startswith("IBM session s-1 [active]: mode batch, backend ibm_test")
    details = ibm.SessionDetails(id="s-1", status="in_progress", elapsed_time=3.0)
    assert "[in_progress]" in details.summary()
    assert "3 s" in details._repr_html_()
    scw_session = scw.Session(
        id="s-2", name="mine", platform_id="p-1", status="running", waiting_job_count=2
    )
    page = scw_session._repr_html_()
    assert "jobs waiting" in page
    assert "p-1" in page
    assert scw_session.summary().startswith("Scaleway session s-2 [running]: name mine")


def test_a_scaleway_job() -> None:
    job = decode(
        b'{"id": "j-1", "name": "n", "status": "error", "job_duration": "1.5s",'
        b' "created_at": "2025-03-04T05:06:07Z"}',
        scw.Job,
    )
    assert job.summary() == (
        "Scaleway job j-1 [error]: name n, created 2025-03-04 05:06:07 UTC, duration 1.5 s"
    )
    assert "#cf222e" in job._repr_html_()


def test_pages_show_one_row_per_item_with_totals() -> None:
    page = ibm.WorkloadsPage(
        workloads=[
            ibm.Workload(id="w-1", status="completed", mode="job", backend="b"),
            ibm.Workload(id="w-2", status="failed", mode="session"),
        ],
        count=7,
        next="cursor",
    )
    html = page._repr_html_()
    assert html.count("<tr>") == 3  # header and two rows
    assert "w-1" in html
    assert "w-2" in html
    assert (
        page.summary() == "IBM workloads: 2 of 7 items; more pages follow (1 completed, 1 failed)"
    )
    jobs = ibm.JobsPage(jobs=[ibm_job()], count=1, offset=0)
    assert jobs.summary() == "IBM jobs: 1 item (1 Completed)"
    listing = scw.ListJobsResponse(jobs=[scw.Job(id="a", status="running")], total_count=1)
    assert listing.summary() == "Scaleway jobs: 1 item (1 running)"
    sessions = scw.ListSessionsResponse(sessions=[], total_count=0)
    assert sessions.summary() == "Scaleway sessions: 0 items"
    assert "id" in rich_text(page)


def test_a_page_of_a_pager_is_shown_through_view() -> None:
    raw = scw.ListJobsResponse(jobs=[scw.Job(id="a", status="completed")], total_count=3)
    page = Page(items=raw.jobs, token="t", next_token="n", total=3, raw=raw)
    shown = view(page)
    assert shown.summary() == "Scaleway jobs: 1 of 3 items; more pages follow (1 completed)"
    assert "<code>a</code>" in shown._repr_html_()
    assert view(raw) is raw
    assert view([ibm_job()]).summary().startswith("items: 1 item")
    with pytest.raises(TypeError, match="cannot display"):
        view(42)


def test_long_listings_are_cut() -> None:
    page = ibm.JobsPage(jobs=[ibm_job(id=f"j{i}") for i in range(80)], count=80)
    html = page._repr_html_()
    assert html.count("<tr>") == 51
    assert "first 50 shown" in html


def test_watch_events_show_the_snapshot_or_the_error() -> None:
    event = WatchEvent("job-1", ibm_job(), final=True)
    assert event.summary().startswith("IBM job event job-1 [Completed]: final yes, program")
    failed = WatchEvent[ibm.Job]("job-2", None, error=NotFoundError("gone <b>", status=404))
    assert failed.summary().startswith("watch event job-2 [error]: error NotFoundError")
    assert "gone &lt;b&gt;" in failed._repr_html_()
    plain = WatchEvent("x", {"status": "running"})
    assert plain.summary() == "watch event x [running]: final no"


def test_structs_keep_their_fields_and_encoding() -> None:
    job = ibm_job()
    assert "_view" not in ibm.Job.__struct_fields__
    assert msgspec.json.decode(msgspec.json.encode(job), type=ibm.Job) == job
    assert isinstance(job, Displayable)
    assert repr(job).startswith("Job(id='job-1'")
    assert msgspec.json.decode(b'{"id": "s", "status": "running"}', type=scw.Session).is_running


# --------------------------------------------------------------------------------------------
# Server strings are escaped


def _evil_objects() -> Iterator[tuple[str, Displayable]]:
    yield (
        "ibm job",
        ibm_job(
            id=EVIL,
            backend=EVIL,
            status=EVIL,
            state=ibm.JobState(status=EVIL, reason=EVIL),
            session_id=EVIL,
            tags=[EVIL],
            hub=EVIL,
            group=EVIL,
            project=EVIL,
            program=ibm.JobProgram(id=EVIL),
        ),
    )
    yield "ibm workload", ibm.Workload(id=EVIL, status=EVIL, backend=EVIL, status_reason=EVIL)
    yield (
        "ibm workloads page",
        ibm.WorkloadsPage(workloads=[ibm.Workload(id=EVIL, status=EVIL, mode=EVIL)]),
    )
    yield "ibm jobs page", ibm.JobsPage(jobs=[ibm_job(id=EVIL, status=EVIL, backend=EVIL)])
    yield "ibm session", ibm.Session(id=EVIL, backend_name=EVIL, state=EVIL, mode=EVIL)
    yield "ibm session details", ibm.SessionDetails(id=EVIL, status=EVIL, backend_name=EVIL)
    yield (
        "ibm submitted",
        ibm.CreateJobResponse(id=EVIL, backend=EVIL, session_id=EVIL, messages=[EVIL]),
    )
    yield (
        "scaleway job",
        scw.Job(
            id=EVIL,
            name=EVIL,
            status=EVIL,
            session_id=EVIL,
            progress_message=EVIL,
            model_id=EVIL,
            tags=[EVIL],
        ),
    )
    yield (
        "scaleway session",
        scw.Session(
            id=EVIL, name=EVIL, platform_id=EVIL, status=EVIL, progress_message=EVIL, tags=[EVIL]
        ),
    )
    yield "scaleway jobs page", scw.ListJobsResponse(jobs=[scw.Job(id=EVIL, status=EVIL)])
    yield (
        "scaleway sessions page",
        scw.ListSessionsResponse(sessions=[scw.Session(id=EVIL, name=EVIL, status=EVIL)]),
    )
    yield "event", WatchEvent(EVIL, ibm_job(id=EVIL, status=EVIL), final=True)
    yield "error event", WatchEvent[ibm.Job](EVIL, None, error=NotFoundError(EVIL, status=404))
    yield "dict event", WatchEvent(EVIL, {"status": EVIL})
    register = Register(EVIL, 2, (), 2, b"\x00\x03")
    pub = SamplerPub(registers={EVIL: register}, metadata={EVIL: EVIL}, shape=())
    yield "register", register
    yield "sampler pub", pub
    yield (
        "sampler result",
        SamplerResult(pubs=(pub,), metadata={"backend": EVIL, "job_id": EVIL}, encoding="plain"),
    )
    estimator = decode_result(estimator_document())
    assert isinstance(estimator, EstimatorResult)
    yield (
        "estimator result",
        EstimatorResult(
            pubs=estimator.pubs, metadata={"backend": EVIL, "job_id": EVIL}, encoding="plain"
        ),
    )
    yield "counts", Counts([{EVIL: 3, f"1 {EVIL}": 2}], title=EVIL, names=[EVIL])
    page = Page(
        items=[scw.Job(id=EVIL, status=EVIL)], token=EVIL, next_token=None, total=1, raw=None
    )
    yield "pager page", view(page, title=EVIL)


@pytest.mark.parametrize(("name", "obj"), list(_evil_objects()), ids=lambda x: str(x)[:20])
def test_html_escapes_every_server_string(name: str, obj: Displayable) -> None:
    page = obj._repr_html_()
    assert "&lt;script&gt;" in page, name
    for raw in ("<script", "<img", "onerror=alert(2)>", "\"'&<"):
        assert raw not in page, (name, raw)
    # Every tag left is one of ours.
    tags = set(re.findall(r"</?([a-zA-Z]+)", page))
    assert tags <= {
        "div",
        "table",
        "caption",
        "tbody",
        "thead",
        "tr",
        "th",
        "td",
        "b",
        "code",
        "span",
    }
    # Quotes inside values are escaped, so no value can leave an attribute.
    assert "&quot;&#x27;&amp;&lt;" in page


@pytest.mark.parametrize(("name", "obj"), list(_evil_objects()), ids=lambda x: str(x)[:20])
def test_rich_output_takes_server_strings_literally(name: str, obj: Displayable) -> None:
    markup = "[bold red]boom[/bold red]"
    assert "<script>" in rich_text(obj), name
    job = ibm_job(id=markup, status=markup)
    assert markup in rich_text(job)


# --------------------------------------------------------------------------------------------
# Results


def test_a_sampler_result_shows_the_counts_of_each_register() -> None:
    result = decode_result(sampler_document())
    assert isinstance(result, SamplerResult)
    page = result._repr_html_()
    assert "pub 0 · register meas (2 bits, 5 shots)" in page
    assert "pub 0 · register flag (1 bit, 5 shots)" in page
    assert "60.0 %" in page  # 3 of 5 shots
    assert "ibm_test" in page
    assert "job-1" in page
    assert result.summary() == (
        "sampler result job-1: pub 0 · register meas (2 bits, 5 shots) {11: 3, 00: 2}; "
        "pub 0 · register flag (1 bit, 5 shots) {1: 4, 0: 1}"
    )
    text = rich_text(result)
    assert "register meas" in text
    assert "60.0 %" in text
    assert "register flag" in rich_text(result.pubs[0])
    assert result.pubs[0].registers["meas"].summary().startswith("register meas")


def test_many_outcomes_are_cut_with_a_note() -> None:
    counts = {format(i, "06b"): i + 1 for i in range(40)}
    shown = Counts(counts)._repr_html_()
    assert shown.count("<tr>") == 2 + 1 + MAX_OUTCOMES  # circuits and shots, header, outcomes
    rest = 40 - MAX_OUTCOMES
    assert f"{rest} more outcomes with {sum(range(1, rest + 1))} shots" in shown


def test_an_estimator_result_shows_values_and_errors() -> None:
    result = decode_result(estimator_document())
    assert isinstance(result, EstimatorResult)
    page = result._repr_html_()
    assert "pub 0 (shape (2,))" in page
    assert "-0.25" in page
    assert "0.02" in page
    assert result.summary() == "estimator result: pub 0 evs [0.5, -0.25]; pub 1 evs [0.75]"
    assert "0.05" in rich_text(result)
    assert result.pubs[1].summary() == "estimator pub: values evs [0.75]"


def test_counts_of_several_registers_are_split() -> None:
    assert marginal_counts({"1 01": 2, "0 01": 3, "1 10": 5}) == [
        {"01": 5, "10": 5},
        {"1": 7, "0": 3},
    ]
    counts = Counts([{"1 01": 2, "0 11": 3}, {"00": 1}], names=["c", "d"])
    page = counts._repr_html_()
    assert "circuit 0 · register c" in page
    assert "circuit 0 · register d" in page
    assert "circuit 1 · register" not in page
    assert counts.summary() == "counts: circuit 0 {0 11: 3, 1 01: 2}; circuit 1 {00: 1}"
    assert counts == Counts([{"1 01": 2, "0 11": 3}, {"00": 1}])
    assert view({"0": 1}) == Counts({"0": 1})
    with pytest.raises(TypeError, match="outcome strings to ints"):
        Counts({"0": "1"})  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Plots

HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


def test_plotting_without_matplotlib_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    result = decode_result(sampler_document())
    with pytest.raises(ModuleNotFoundError, match=re.escape("qruntime-async[plot]")):
        result.plot()
    estimator = decode_result(estimator_document())
    with pytest.raises(ModuleNotFoundError, match=re.escape("qruntime-async[plot]")):
        estimator.plot()
    with pytest.raises(ModuleNotFoundError, match="matplotlib"):
        Counts({"0": 1}).plot()


@pytest.fixture
def pyplot() -> Iterator[Any]:
    if not HAS_MATPLOTLIB:
        pytest.skip("matplotlib is not installed (the plot extra)")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_counts_histogram(pyplot: Any) -> None:
    result = decode_result(sampler_document())
    assert isinstance(result, SamplerResult)
    ax = result.plot(title="t")  # registers joined: flag + meas
    assert [t.get_text() for t in ax.get_xticklabels()] == ["011", "100", "111"]
    assert [p.get_height() for p in ax.patches] == [1, 2, 2]
    assert ax.get_title() == "t"
    register = result.pubs[0].registers["flag"]
    ax = register.plot(normalize=True)
    assert sorted(p.get_height() for p in ax.patches) == [0.2, 0.8]
    ax = Counts([{"00": 3, "11": 1}, {"00": 2, "11": 2}]).plot()
    assert len(ax.patches) == 4
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["circuit 0", "circuit 1"]
    panels = Counts([{"000": 3}, {"00": 2}]).plot(title="two")
    assert len(panels) == 2
    assert panels[1].get_title() == "circuit 1"
    _, ax = pyplot.subplots()
    assert result.pubs[0].plot(ax=ax) is ax


def test_top_outcomes_only(pyplot: Any) -> None:
    from qruntime_async.plot import plot_counts

    counts = {format(i, "05b"): i + 1 for i in range(32)}
    ax = plot_counts(counts, top=5)
    assert len(ax.patches) == 5
    with pytest.raises(TypeError, match="plot_counts takes"):
        plot_counts(42)
    with pytest.raises(ValueError, match="labels"):
        plot_counts(counts, labels=["a", "b"])


def test_estimator_values_with_error_bars(pyplot: Any) -> None:
    from qruntime_async.plot import plot

    result = decode_result(estimator_document())
    assert isinstance(result, EstimatorResult)
    ax = result.plot(title="evs")
    assert len(ax.containers) == 2  # one errorbar per pub
    _xs, ys = ax.lines[0].get_data()
    assert list(ys) == [0.5, -0.25]
    ax = plot(result.pubs[0], labels=["ZZ", "XX"])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["ZZ", "XX"]
    scalar = decode_result(
        {
            "results": [
                {"data": {"evs": 0.1, "stds": 0.01}, "metadata": {}},
                {"data": {"evs": 0.2, "stds": 0.02}, "metadata": {}},
            ],
            "metadata": {},
        }
    )
    ax = scalar.plot()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["pub 0", "pub 1"]
