"""A probe task that measures how late the event loop runs it: the longest stall of the loop, overall and over
the last few seconds (``/health`` shows both). Anything slow left on the loop shows here first."""

from __future__ import annotations

import asyncio
import time
from collections import deque

INTERVAL = 0.01
WINDOW_SECONDS = 5.0


class LoopLag:
    """Wakes every ``interval`` seconds and records how much later than asked it woke."""

    def __init__(self, interval: float = INTERVAL, window: float = WINDOW_SECONDS) -> None:
        self.interval = interval
        self.window = window
        self.max_ms = 0.0
        self._recent: deque[tuple[float, float]] = deque()  # (when, lag ms), the lags over 1 ms

    def record(self, now: float, lag_ms: float) -> None:
        """Note a wake-up ``lag_ms`` late at ``now`` (a monotonic time)."""
        self.max_ms = max(self.max_ms, lag_ms)
        if lag_ms >= 1.0:
            self._recent.append((now, lag_ms))
        while self._recent and self._recent[0][0] < now - self.window:
            self._recent.popleft()

    def recent_max_ms(self) -> float:
        """Return the longest stall of the last ``window`` seconds."""
        horizon = time.monotonic() - self.window
        return max((lag for when, lag in self._recent if when >= horizon), default=0.0)

    def summary(self) -> dict[str, float]:
        """Return the figures ``/health`` shows, in milliseconds."""
        return {"lag_ms_max": round(self.max_ms, 1), "lag_ms_recent_max": round(self.recent_max_ms(), 1),
                "window_seconds": self.window}

    async def run(self, stop: asyncio.Event) -> None:
        """Measure until ``stop`` is set."""
        while not stop.is_set():
            asked = time.monotonic()
            try:
                await asyncio.wait_for(stop.wait(), self.interval)
                return
            except TimeoutError:
                pass
            now = time.monotonic()
            self.record(now, max(0.0, (now - asked - self.interval) * 1000))
