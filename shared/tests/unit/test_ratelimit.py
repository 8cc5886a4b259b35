"""The sliding-window counter behind capture's rate limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadrelay.service.ratelimit import SlidingWindowCounter, retry_after_header


def test_allows_the_limit_then_refuses_with_the_wait_until_the_next_window():
    counter = SlidingWindowCounter(limit=5, period_s=60)
    assert [counter.hit("1.2.3.4", 600.0 + i) for i in range(5)] == [None] * 5
    wait = counter.hit("1.2.3.4", 610.0)
    # Window 10 started at 600 s; with nothing before it, the next window opens at 660 s and this one's
    # 5 hits must have faded to 4 (a fifth of the way in), so a hit fits from 672 s.
    assert wait == pytest.approx(62.0)
    assert retry_after_header(wait) == "62"


def test_keys_are_counted_apart():
    counter = SlidingWindowCounter(limit=1, period_s=10)
    assert counter.hit("a", 5.0) is None
    assert counter.hit("b", 5.0) is None
    assert counter.hit("a", 5.5) is not None


def test_the_previous_window_weighs_by_its_overlap():
    counter = SlidingWindowCounter(limit=10, period_s=60)
    for i in range(10):
        assert counter.hit("k", 60.0 + i) is None
    # Half-way into the next window the 10 earlier hits weigh 5: five more fit, the sixth does not.
    assert [counter.hit("k", 150.0) for _ in range(5)] == [None] * 5
    wait = counter.hit("k", 150.0)
    assert wait is not None and wait == pytest.approx(6.0)  # at 156 s the earlier ten weigh 4
    assert counter.hit("k", 156.0 + 1e-6) is None


def test_a_window_long_gone_weighs_nothing_and_idle_keys_are_dropped():
    counter = SlidingWindowCounter(limit=1, period_s=1)
    for i in range(1000):
        counter.hit(f"ip-{i}", 0.5)
    assert counter.hit("ip-1", 2.1) is None
    counter.hit("other", 5.0)
    assert len(counter) == 1  # memory stays flat under a flood of distinct clients


def test_a_limit_needs_a_positive_count_and_period():
    with pytest.raises(ValueError):
        SlidingWindowCounter(limit=0, period_s=60)


@given(
    limit=st.integers(1, 50),
    gaps=st.lists(st.floats(0, 3, allow_nan=False), min_size=1, max_size=300),
)
def test_never_more_than_the_limit_in_any_fixed_window_and_a_refusal_waits(limit, gaps):
    counter = SlidingWindowCounter(limit=limit, period_s=1)
    now, allowed = 0.0, []
    for gap in gaps:
        now += gap
        wait = counter.hit("k", now)
        if wait is None:
            allowed.append(now)
        else:
            assert wait > 0
    per_window: dict[int, int] = {}
    for at in allowed:
        per_window[int(at)] = per_window.get(int(at), 0) + 1
    assert max(per_window.values(), default=0) <= limit
