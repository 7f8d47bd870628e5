"""Scaleway Quantum-as-a-Service: the client and its models."""

from ..errors import SessionStoppedError
from .client import ScalewayQaaSClient
from .models import (
    Job,
    JobCircuit,
    JobResult,
    JobStatus,
    Platform,
    QuantumModel,
    Session,
    SessionStatus,
    encode_parameters,
)
from .sessions import SessionContext

__all__ = [
    "Job",
    "JobCircuit",
    "JobResult",
    "JobStatus",
    "Platform",
    "QuantumModel",
    "ScalewayQaaSClient",
    "Session",
    "SessionContext",
    "SessionStatus",
    "SessionStoppedError",
    "encode_parameters",
]
