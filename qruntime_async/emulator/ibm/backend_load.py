"""The emulated backends' queues: :class:`BackendLoad`, the planned starts of waiting jobs."""

from __future__ import annotations

import heapq


class BackendLoad:
    """Planned start times of jobs not yet started, per backend (the backends' queues)."""

    def __init__(self) -> None:
        self._starts: dict[str, list[float]] = {}

    def clear(self) -> None:
        """Forget every planned start."""
        self._starts.clear()

    def waiting(self, backend: str, now: float) -> int:
        """How many jobs start on ``backend`` after ``now``."""
        heap = self._starts.setdefault(backend, [])
        while heap and heap[0] <= now:
            heapq.heappop(heap)
        return len(heap)

    def add(self, backend: str, start: float) -> None:
        """A job will start on ``backend`` at ``start``."""
        heapq.heappush(self._starts.setdefault(backend, []), start)
