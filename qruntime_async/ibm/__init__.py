"""IBM Quantum Runtime: the client, its credentials and its models."""

from .auth import BearerToken, IAMAuth
from .client import IBMRuntimeClient
from .models import (
    CreateJobResponse,
    CreateSessionResponse,
    Job,
    JobState,
    JobStatus,
    Session,
    SessionDetails,
    SessionMode,
    SessionState,
    Workload,
    WorkloadMode,
    WorkloadStatus,
)
from .pubs import estimator_params, sampler_params
from .results import (
    EstimatorPub,
    EstimatorResult,
    Register,
    SamplerPub,
    SamplerResult,
    decode_result,
    sampler_counts,
)
from .sessions import SessionContext

__all__ = [
    "BearerToken",
    "CreateJobResponse",
    "CreateSessionResponse",
    "EstimatorPub",
    "EstimatorResult",
    "IAMAuth",
    "IBMRuntimeClient",
    "Job",
    "JobState",
    "JobStatus",
    "Register",
    "SamplerPub",
    "SamplerResult",
    "Session",
    "SessionContext",
    "SessionDetails",
    "SessionMode",
    "SessionState",
    "Workload",
    "WorkloadMode",
    "WorkloadStatus",
    "decode_result",
    "estimator_params",
    "sampler_counts",
    "sampler_params",
]
