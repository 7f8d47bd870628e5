"""The decoded result types: registers of shots, sampler and estimator pubs and results."""

from ._common import Encoding as Encoding
from ._estimator import EstimatorPub, EstimatorResult
from ._sampler import Register, SamplerPub, SamplerResult

__all__ = ["EstimatorPub", "EstimatorResult", "Register", "SamplerPub", "SamplerResult"]
