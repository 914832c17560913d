from __future__ import annotations

from qingzhai.security.rules import LoginThrottle
from qingzhai.security.throttle import Throttle


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_blocks_after_the_allowed_failures_and_frees_when_the_window_passes():
    clock = FakeClock()
    throttle = Throttle(LoginThrottle(attempts=3, window_seconds=60), clock=clock)
    keys = ("user:zhang", "addr:10.0.0.1")
    for _ in range(3):
        assert throttle.blocked(keys) == 0
        throttle.fail(keys)
    wait = throttle.blocked(keys)
    assert 1 <= wait <= 61
    assert throttle.blocked(("user:wang", "addr:10.0.0.1")) > 0  # same address
    assert throttle.blocked(("user:wang", "addr:10.0.0.2")) == 0
    clock.now += 60
    assert throttle.blocked(keys) == 0


def test_success_clears_the_user_name_failures():
    throttle = Throttle(LoginThrottle(attempts=2, window_seconds=60), clock=FakeClock())
    throttle.fail(("user:li",))
    throttle.fail(("user:li",))
    assert throttle.blocked(("user:li",)) > 0
    throttle.clear(("user:li",))
    assert throttle.blocked(("user:li",)) == 0
