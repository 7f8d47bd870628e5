"""Malformed, truncated, wrong-typed and oversized answers only ever raise typed errors."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qruntime_async._codec import Model, decode
from qruntime_async._http_errors import parse_error_body
from qruntime_async.errors import ResponseDecodeError
from qruntime_async.ibm import models as ibm
from qruntime_async.scaleway import models as scw

FIXTURES = Path(__file__).parent / "fixtures"

RESPONSE_MODELS: list[type[Any]] = [
    ibm.Workload,
    ibm.WorkloadsPage,
    ibm.Session,
    ibm.SessionDetails,
    ibm.CreateSessionResponse,
    ibm.Job,
    ibm.JobsPage,
    ibm.CreateJobResponse,
    ibm.JobMetrics,
    ibm.BackendsResponse,
    scw.Job,
    scw.JobCircuit,
    scw.JobResult,
    scw.ListJobsResponse,
    scw.ListJobResultsResponse,
    scw.Session,
    scw.ListSessionsResponse,
    scw.Platform,
    scw.ListPlatformsResponse,
    scw.QuantumModel,
    scw.ListModelsResponse,
]

SAMPLES: list[bytes] = sorted((path.read_bytes() for path in FIXTURES.rglob("*.json")), key=len)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "status",
                    "jobs",
                    "workloads",
                    "count",
                    "total_count",
                    "created",
                    "state",
                    "next",
                    "tags",
                    "usage",
                    "max_duration",
                    "job_duration",
                    "created_at",
                    "devices",
                    "price_per_hour",
                    "messages",
                    "sessions",
                    "platforms",
                    "timestamps",
                    "x",
                ]
            )
            | st.text(max_size=8),
            children,
            max_size=6,
        )
    ),
    max_leaves=30,
)


def _decode_or_typed_error(data: bytes, model: type[Any]) -> None:
    error: ResponseDecodeError | None = None
    try:
        value = decode(data, model)
    except ResponseDecodeError as exc:
        error = exc
    if error is not None:
        assert error.expected == model.__name__
        assert str(error)
    else:
        assert isinstance(value, model)
        # A decoded model can be re-encoded: nothing half-built escapes.
        msgspec.json.encode(value, enc_hook=str)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=st.sampled_from(RESPONSE_MODELS), value=json_values)
def test_random_json_documents(model: type[Any], value: Any) -> None:
    _decode_or_typed_error(msgspec.json.encode(value), model)


@settings(max_examples=300, deadline=None)
@given(
    model=st.sampled_from(RESPONSE_MODELS),
    sample=st.sampled_from(SAMPLES),
    cut=st.floats(min_value=0.0, max_value=1.0),
)
def test_truncated_documents(model: type[Any], sample: bytes, cut: float) -> None:
    _decode_or_typed_error(sample[: int(len(sample) * cut)], model)


@settings(max_examples=300, deadline=None)
@given(
    model=st.sampled_from(RESPONSE_MODELS),
    sample=st.sampled_from(SAMPLES),
    position=st.integers(min_value=0),
    junk=st.binary(min_size=1, max_size=4),
)
def test_corrupted_bytes(model: type[Any], sample: bytes, position: int, junk: bytes) -> None:
    index = position % len(sample)
    _decode_or_typed_error(sample[:index] + junk + sample[index + 1 :], model)


def _leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaf_paths(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaf_paths(v, (*path, i))]
    return [path]


def _replace_at(value: Any, path: tuple[Any, ...], replacement: Any) -> Any:
    if not path:
        return replacement
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {k: _replace_at(v, rest, replacement) if k == head else v for k, v in value.items()}
    return [_replace_at(v, rest, replacement) if i == head else v for i, v in enumerate(value)]


WRONG_VALUES: list[object] = [
    None,
    0,
    -1,
    "",
    "x",
    True,
    [],
    {},
    1e308,
    2**64,
    "99999999999999999999s",
    "-5s",
]


def _matching_pairs() -> list[tuple[type[Any], bytes]]:
    # Each documented example with every model it decodes into: the meaningful pairs.
    pairs = []
    for sample in SAMPLES:
        for model in RESPONSE_MODELS:
            try:
                decode(sample, model)
            except ResponseDecodeError:
                continue
            pairs.append((model, sample))
    return pairs


@pytest.mark.parametrize(
    ("model", "sample"),
    _matching_pairs(),
    ids=lambda value: value.__qualname__ if isinstance(value, type) else "",
)
def test_each_field_wrong_typed_one_at_a_time(model: type[Any], sample: bytes) -> None:
    document = json.loads(sample)
    for path in _leaf_paths(document):
        for replacement in WRONG_VALUES:
            changed = msgspec.json.encode(_replace_at(document, path, replacement))
            _decode_or_typed_error(changed, model)
            if model.__module__ == scw.__name__:
                with contextlib.suppress(ResponseDecodeError):
                    scw.decode_compat(changed, model)


@settings(max_examples=300, deadline=None)
@given(
    model=st.sampled_from([m for m in RESPONSE_MODELS if m.__module__ == scw.__name__]),
    value=json_values,
)
def test_the_scaleway_compatibility_decoder_only_raises_decode_errors(
    model: type[Any], value: Any
) -> None:
    with contextlib.suppress(ResponseDecodeError):
        scw.decode_compat(msgspec.json.encode(value), model)


@settings(max_examples=300, deadline=None)
@given(
    value=json_values
    | st.dictionaries(
        st.sampled_from(["error", "errors", "trace", "message", "type", "code", "fields"]),
        json_values,
        max_size=4,
    ),
    sample=st.sampled_from(SAMPLES),
    cut=st.floats(min_value=0.0, max_value=1.0),
)
def test_error_bodies_never_raise(value: Any, sample: bytes, cut: float) -> None:
    # Error bodies are read by parse_error_body alone: whatever the server sends, it answers.
    for body in (msgspec.json.encode(value), sample[: int(len(sample) * cut)]):
        code, message, trace, fields = parse_error_body(body)
        assert code is None or isinstance(code, str)
        assert message is None or isinstance(message, str)
        assert trace is None or isinstance(trace, str)
        assert isinstance(fields, dict)


@pytest.mark.parametrize("model", [ibm.JobsPage, scw.ListJobsResponse, ibm.Job])
def test_oversized_and_deeply_nested_documents(model: type[Model]) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    _decode_or_typed_error(deep, model)
    deep_object = b'{"id": "x", "params": ' + b'{"a":' * 50_000 + b"1" + b"}" * 50_000 + b"}"
    _decode_or_typed_error(deep_object, model)
    huge_list = b'{"jobs": [' + b",".join([b'{"id": "j"}'] * 100_000) + b'], "count": 1}'
    _decode_or_typed_error(huge_list, model)
    _decode_or_typed_error(b"\x00\xff" * 1000, model)
    _decode_or_typed_error(b"", model)
