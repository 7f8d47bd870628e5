"""Decode the results of IBM Quantum Runtime primitive jobs (``GET /jobs/{id}/results``).

The service answers in one of two encodings, both read here without NumPy or Qiskit:

* **plain JSON**, for jobs submitted without ``support_qiskit``: ``{"results": [...],
  "metadata": {...}}`` where a sampler pub's ``data`` maps each classical register to
  ``{"samples": ["0x3", ...], "num_bits": N}`` (one hex string per shot) and an estimator pub's
  ``data`` holds ``evs``, ``stds`` and often ``ensemble_standard_error`` (numbers or nested lists);
* **Qiskit-encoded**, as the official client asks for (``support_qiskit: true``):
  ``{"__type__": "PrimitiveResult", "__value__": {"pub_results": [...], "metadata": {...}}}`` whose
  pubs carry a ``DataBin`` of ``BitArray`` registers (sampler) or of ``ndarray`` fields
  (estimator); an ``ndarray`` is base64 of zlib-compressed ``.npy`` bytes (or a plain list).

:func:`decode_result` returns a :class:`SamplerResult` or an :class:`EstimatorResult`;
:func:`sampler_counts` returns joined counts per pub and also reads the older shapes some runtime
programs still return. Anything else, or anything malformed, raises
:class:`~qruntime_async.errors.ResponseDecodeError` whose message starts with the JSON path of the
offending value (for example ``$.results[0].data.meas.samples[3]: not a hex string``).

NumPy is never imported unless a ``to_numpy()`` method is called.
"""

from .decode import DEFAULT_MAX_ARRAY_BYTES, decode_result, sampler_counts
from .types import EstimatorPub, EstimatorResult, Register, SamplerPub, SamplerResult

__all__ = [
    "DEFAULT_MAX_ARRAY_BYTES",
    "EstimatorPub",
    "EstimatorResult",
    "Register",
    "SamplerPub",
    "SamplerResult",
    "decode_result",
    "sampler_counts",
]
