"""State shared by both emulated services: configuration, virtual clock, seeded randomness."""

from __future__ import annotations

import hashlib
import math
import random

from ._cursor import CursorCodec
from ._util import IdFactory, VirtualClock
from .config import EmulatorConfig


class Context:
    """What every service of one emulator shares."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.clock = VirtualClock(config.speed, config.start_time)
        self.ids = IdFactory(config.seed)
        self.plan_rng = random.Random(f"plan:{config.seed}")
        key = hashlib.sha256(f"cursor:{config.seed}:{random.random()}".encode()).digest()
        self.cursors = CursorCodec(key)
        self._trace = 0
        #: Bumped after every state-changing request; cached renderings keyed by it go stale.
        self.epoch = 0

    def reset(self) -> None:
        """Restart the seeded draws (ids keep counting so old ids are never reused)."""
        self.plan_rng = random.Random(f"plan:{self.config.seed}")
        self.epoch += 1

    def now(self) -> float:
        """Virtual POSIX time."""
        return self.clock.now()

    def stamp(self) -> float:
        """Virtual time rounded down to the millisecond, for creation timestamps (so that every
        spelling of a timestamp the API shows names the same instant)."""
        return math.floor(self.clock.now() * 1000) / 1000

    def trace_id(self) -> str:
        """A fresh request trace id for error bodies."""
        self._trace += 1
        return f"emu{self.config.seed & 0xFFFF:04x}{self._trace:016x}"

    def result_seed(self, resource_id: str, index: int = 0) -> int:
        """A per-resource seed for computed results."""
        digest = hashlib.sha256(f"{self.config.seed}:{resource_id}:{index}".encode()).digest()
        return int.from_bytes(digest[:8], "big")
