"""The IBM Quantum Runtime side of the emulator: jobs, sessions, workloads, backends, IAM."""

from .errors import (
    CODE_INTERNAL,
    CODE_METHOD,
    CODE_NOT_FOUND,
    CODE_RATE_LIMITED,
    CODE_UNAVAILABLE,
)
from .routes import IbmService
from .views import IbmJobSnapshot, IbmSessionSnapshot

__all__ = [
    "CODE_INTERNAL",
    "CODE_METHOD",
    "CODE_NOT_FOUND",
    "CODE_RATE_LIMITED",
    "CODE_UNAVAILABLE",
    "IbmJobSnapshot",
    "IbmService",
    "IbmSessionSnapshot",
]
