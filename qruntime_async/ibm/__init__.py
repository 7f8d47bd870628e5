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
    sampler_counts,
)
from .sessions import SessionContext

__all__ = [
    "BearerToken",
    "CreateJobResponse",
    "CreateSessionResponse",
    "IAMAuth",
    "IBMRuntimeClient",
    "Job",
    "JobState",
    "JobStatus",
    "Session",
    "SessionContext",
    "SessionDetails",
    "SessionMode",
    "SessionState",
    "Workload",
    "WorkloadMode",
    "WorkloadStatus",
    "sampler_counts",
]
