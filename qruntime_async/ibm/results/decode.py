"""The entry points: :func:`decode_result` and :func:`sampler_counts`."""

from __future__ import annotations

from typing import Any

import msgspec

from ...errors import ResponseDecodeError
from ._checks import _Budget, _fail, _Invalid, _kind, _mapping, _wrapped
from ._common import Encoding
from ._estimator import EstimatorPub, EstimatorResult
from ._legacy import _legacy_counts_map, _legacy_pub_counts, _quasi_counts
from ._plain import _plain_pub
from ._qiskit import _qiskit_pub
from ._sampler import SamplerPub, SamplerResult

__all__ = ["DEFAULT_MAX_ARRAY_BYTES", "decode_result", "sampler_counts"]

#: Default cap on the bytes all arrays of one document may take once decoded (inflated ``.npy``
#: data and packed plain-JSON samples together); a zlib bomb or an absurd shape stops here.
DEFAULT_MAX_ARRAY_BYTES = 256 * 1024 * 1024

_EXPECTED = "SamplerResult | EstimatorResult"
_SAMPLER = "SamplerResult"


def _pub_entries(document: Any) -> tuple[Encoding, list[tuple[Any, str]], dict[str, Any]]:
    if isinstance(document, dict) and "__type__" in document:
        _, inner, inner_path = _wrapped(document, "$", ("PrimitiveResult",))
        inner = _mapping(inner, inner_path)
        metadata = _mapping(inner.get("metadata"), f"{inner_path}.metadata", optional=True)
        list_path = f"{inner_path}.pub_results"
        entries = inner.get("pub_results")
        encoding: Encoding = "qiskit"
    elif isinstance(document, dict) and "results" in document:
        metadata = _mapping(document.get("metadata"), "$.metadata", optional=True)
        list_path = "$.results"
        entries = document["results"]
        encoding = "plain"
    else:
        _fail("$", 'neither a PrimitiveResult nor a {"results": [...]} document')
    if not isinstance(entries, list):
        _fail(list_path, f"expected a list of pub results, got {_kind(entries)}")
    if not entries:
        _fail(list_path, "no pub results")
    return encoding, [(entry, f"{list_path}[{i}]") for i, entry in enumerate(entries)], metadata


def _decode_pub(
    encoding: Encoding, entry: Any, path: str, budget: _Budget
) -> SamplerPub | EstimatorPub:
    if encoding == "qiskit":
        return _qiskit_pub(entry, path, budget)
    return _plain_pub(entry, path, budget)


def _decode(document: Any, budget: _Budget) -> SamplerResult | EstimatorResult:
    encoding, entries, metadata = _pub_entries(document)
    pubs = [_decode_pub(encoding, entry, path, budget) for entry, path in entries]
    if all(isinstance(pub, SamplerPub) for pub in pubs):
        return SamplerResult(
            tuple(p for p in pubs if isinstance(p, SamplerPub)), metadata, encoding
        )
    if all(isinstance(pub, EstimatorPub) for pub in pubs):
        return EstimatorResult(
            tuple(p for p in pubs if isinstance(p, EstimatorPub)), metadata, encoding
        )
    _fail(entries[0][1].rsplit("[", 1)[0], "mixes sampler and estimator pubs")


def _parse(document: Any, expected: str) -> Any:
    if isinstance(document, (bytes, bytearray, memoryview, str)):
        try:
            return msgspec.json.decode(document)
        except (msgspec.DecodeError, RecursionError) as exc:
            raise ResponseDecodeError(
                f"malformed JSON: {exc}", expected=expected, path="$", malformed=True
            ) from None
    return document


def _run(document: Any, expected: str, max_array_bytes: int, step: Any) -> Any:
    parsed = _parse(document, expected)
    try:
        return step(parsed, _Budget(max_array_bytes))
    except _Invalid as exc:
        raise ResponseDecodeError(str(exc), expected=expected, path=exc.path) from None
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError) as exc:
        # A safety net: whatever slipped past the checks above still surfaces as a decode error.
        raise ResponseDecodeError(
            f"unexpected {type(exc).__name__}: {exc}", expected=expected
        ) from None


def decode_result(
    document: Any, *, max_array_bytes: int = DEFAULT_MAX_ARRAY_BYTES
) -> SamplerResult | EstimatorResult:
    """Decode a ``GET /jobs/{id}/results`` document of a sampler or estimator job.

    ``document`` is the decoded JSON (JSON bytes or text are parsed first). Both the plain JSON
    and the Qiskit-encoded forms are read; the kind of result is told by its data (registers of
    samples or ``BitArray``\\ s make a sampler result, ``evs`` an estimator result).

    Raises :class:`~qruntime_async.errors.ResponseDecodeError` for anything else (unknown
    ``__type__``, bad shapes, invalid samples, arrays beyond ``max_array_bytes`` once decoded),
    with the JSON path of the offending value in ``path`` and at the start of the message.
    Per-register counts of older runtime programs are not shot data: :func:`sampler_counts`
    reads them.
    """
    result: SamplerResult | EstimatorResult = _run(document, _EXPECTED, max_array_bytes, _decode)
    return result


def _counts(document: Any, budget: _Budget) -> list[dict[str, int]]:
    if isinstance(document, dict) and "results" not in document and "__type__" not in document:
        if "counts" in document:
            entries = document["counts"]
            if not isinstance(entries, list):
                _fail("$.counts", f"expected a list, got {_kind(entries)}")
            return [_legacy_counts_map(c, f"$.counts[{i}]") for i, c in enumerate(entries)]
        if "quasi_dists" in document:
            return _quasi_counts(document)
    encoding, entries, _ = _pub_entries(document)
    out = []
    for entry, path in entries:
        legacy = _legacy_pub_counts(encoding, entry, path)
        if legacy is not None:
            out.append(legacy)
            continue
        pub = _decode_pub(encoding, entry, path, budget)
        if isinstance(pub, EstimatorPub):
            _fail(path, "an estimator result (evs/stds) has no counts")
        out.append(pub.counts())
    return out


def sampler_counts(
    document: Any, *, max_array_bytes: int = DEFAULT_MAX_ARRAY_BYTES
) -> list[dict[str, int]]:
    """Joined counts per pub of a sampler result, in every shape the service has used.

    * Plain JSON samples and Qiskit-encoded ``BitArray``\\ s: the registers joined as Qiskit's
      ``join_data()`` joins them (first register rightmost), keyed by bitstrings.
    * Older shapes, whose keys are kept exactly as sent: per-register counts
      (``{"results": [{"data": {"<register>": {"counts": {...}}}}]}``, also inside Qiskit
      wrappers), where only one register can be read, that of ``meas`` when present, else the
      first; ``{"counts": [{...}, ...]}``; and ``{"quasi_dists": [...], "metadata": [{"shots":
      n}, ...]}``, whose probabilities become ``round(p * shots)``, outcomes rounding to zero or
      below being left out.

    Raises :class:`~qruntime_async.errors.ResponseDecodeError` for an estimator result or any
    malformed document, naming the JSON path.
    """
    counts: list[dict[str, int]] = _run(document, _SAMPLER, max_array_bytes, _counts)
    return counts
