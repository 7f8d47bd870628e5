"""Counts in the older shapes some runtime programs still return (for ``sampler_counts``)."""

from __future__ import annotations

from typing import Any

from ._checks import _count_int, _fail, _Invalid, _key, _kind, _mapping, _wrapped
from ._common import Encoding


def _legacy_count(value: Any, path: str) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 20:
        return int(value)
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    return _count_int(value, path)


def _legacy_counts_map(value: Any, path: str) -> dict[str, int]:
    mapping = _mapping(value, path)
    return {str(key): _legacy_count(n, _key(path, str(key))) for key, n in mapping.items()}


def _legacy_pub_counts(encoding: Encoding, entry: Any, path: str) -> dict[str, int] | None:
    # Per-register counts (no samples): the counts of "meas" when present, else of the first
    # register that has counts. None when the pub is not of that older shape.
    if encoding == "qiskit":
        try:
            _, inner, inner_path = _wrapped(
                entry, path, ("SamplerPubResult", "PubResult", "EstimatorPubResult")
            )
            _, bin_value, bin_path = _wrapped(
                _mapping(inner, inner_path).get("data"), f"{inner_path}.data", ("DataBin",)
            )
            data_path = f"{bin_path}.fields"
            data = _mapping(bin_value, bin_path).get("fields")
        except _Invalid:
            return None
    else:
        if not isinstance(entry, dict):
            return None
        data, data_path = entry.get("data"), f"{path}.data"
    if not isinstance(data, dict):
        return None
    whole = data.get("counts")
    if isinstance(whole, dict) and not {"samples", "num_bits", "__type__"} & whole.keys():
        return _legacy_counts_map(whole, f"{data_path}.counts")
    found = [
        name
        for name, reg in data.items()
        if isinstance(reg, dict)
        and "counts" in reg
        and "samples" not in reg
        and "__type__" not in reg
    ]
    if not found:
        return None
    name = "meas" if "meas" in found else found[0]
    return _legacy_counts_map(data[name]["counts"], f"{_key(data_path, name)}.counts")


def _quasi_counts(document: dict[str, Any]) -> list[dict[str, int]]:
    dists = document["quasi_dists"]
    if not isinstance(dists, list):
        _fail("$.quasi_dists", f"expected a list, got {_kind(dists)}")
    metadata = document.get("metadata")
    if not isinstance(metadata, list) or len(metadata) != len(dists):
        _fail("$.metadata", "expected one metadata object (with shots) per distribution")
    out = []
    for i, dist in enumerate(dists):
        shots_path = f"$.metadata[{i}].shots"
        shots = _legacy_count(_mapping(metadata[i], f"$.metadata[{i}]").get("shots"), shots_path)
        dist_path = f"$.quasi_dists[{i}]"
        counts: dict[str, int] = {}
        for key, prob in _mapping(dist, dist_path).items():
            if isinstance(prob, bool) or not isinstance(prob, (int, float)):
                _fail(_key(dist_path, str(key)), f"expected a probability, got {_kind(prob)}")
            try:
                count = round(prob * shots)
            except (OverflowError, ValueError):
                _fail(_key(dist_path, str(key)), "not a finite probability")
            if count > 0:
                counts[str(key)] = count
        out.append(counts)
    return out
