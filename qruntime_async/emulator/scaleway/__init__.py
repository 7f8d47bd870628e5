"""The Scaleway QaaS v1alpha1 side of the emulator: platforms, sessions, jobs, results, models."""

from .routes import PREFIX, ScalewayService
from .views import ScalewayJobSnapshot, ScalewaySessionSnapshot

__all__ = ["PREFIX", "ScalewayJobSnapshot", "ScalewayService", "ScalewaySessionSnapshot"]
