"""The emulator's clock: real time plus an offset that tests move instead of sleeping."""

from __future__ import annotations

import threading
import time


class Clock:
    """Unix time as the emulator sees it; ``advance`` shifts it for every later reading."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """The emulator's current unix time, in seconds."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward (or back, for a negative value) by ``seconds``."""
        with self._lock:
            self._offset += seconds

    @property
    def offset(self) -> float:
        """How far the emulator's clock is from real time, in seconds."""
        return self._offset
