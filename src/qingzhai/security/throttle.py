"""Failed-login throttling, in memory per process (a sliding window per user name and per address)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from qingzhai.config import get_settings
from qingzhai.security.rules import LoginThrottle, throttle_allows


class Throttle:
    def __init__(self, policy: LoginThrottle, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, keys: Iterable[str]) -> int:
        """Seconds to wait, or 0 when every key may try again."""
        now = self.clock()
        with self._lock:
            waits = []
            for key in keys:
                failures = self._failures.get(key, deque())
                while failures and now - failures[0] >= self.policy.window_seconds:
                    failures.popleft()
                if not throttle_allows(failures, now, self.policy):
                    waits.append(int(self.policy.window_seconds - (now - failures[0])) + 1)
            return max(waits, default=0)

    def fail(self, keys: Iterable[str]) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                self._failures.setdefault(key, deque(maxlen=self.policy.attempts * 4)).append(now)

    def clear(self, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


def throttle_for(app: Any) -> Throttle:
    throttle = getattr(app.state, "login_throttle", None)
    if throttle is None:
        throttle = Throttle(LoginThrottle(attempts=get_settings().login_attempts_per_minute))
        app.state.login_throttle = throttle
    return throttle
