"""Retries: doubling backoff with jitter, Retry-After honoured within bounds, given up after the horizon."""

from datetime import UTC, datetime, timedelta

from leadrelay.delivery.domain.retry import RetryPolicy, Verdict, retry_after_seconds, verdict_of

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_what_an_answer_means():
    assert verdict_of(200) is verdict_of(204) is Verdict.DELIVERED
    assert verdict_of(410) is Verdict.GONE
    assert {verdict_of(code) for code in (None, 301, 400, 404, 429, 500, 503)} == {Verdict.RETRY}


def test_the_delay_doubles_up_to_the_cap_and_jitter_only_shortens_it():
    policy = RetryPolicy(first_delay_s=5, max_delay_s=60)
    assert [policy.delay_s(n, rand=lambda: 1.0) for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]
    assert policy.delay_s(3, rand=lambda: 0.0) == 10  # half of 20: the most jitter takes off


def test_retry_after_slows_us_down_but_never_parks_a_delivery_past_the_cap():
    policy = RetryPolicy(first_delay_s=5, max_delay_s=600)
    assert policy.next_attempt(1, NOW, NOW, retry_after_s=120, rand=lambda: 1.0) == NOW + timedelta(
        seconds=120
    )
    assert policy.next_attempt(1, NOW, NOW, retry_after_s=1, rand=lambda: 1.0) == NOW + timedelta(seconds=5)
    assert policy.next_attempt(1, NOW, NOW, retry_after_s=86400, rand=lambda: 1.0) == NOW + timedelta(
        seconds=600
    )


def test_a_delivery_is_given_up_once_the_next_try_would_fall_past_the_horizon():
    policy = RetryPolicy(first_delay_s=5, max_delay_s=3600, horizon_s=24 * 3600)
    first = NOW - timedelta(hours=23, minutes=30)
    assert policy.next_attempt(20, first, NOW, rand=lambda: 0.0) == NOW + timedelta(seconds=1800)
    assert policy.next_attempt(20, first, NOW, rand=lambda: 1.0) is None


def test_retry_after_in_seconds_or_as_a_date():
    assert retry_after_seconds("120", NOW) == 120
    assert retry_after_seconds("Mon, 07 Dec 2026 12:02:00 GMT", NOW) == 120
    assert retry_after_seconds("Mon, 07 Dec 2026 11:00:00 GMT", NOW) == 0
    assert retry_after_seconds(None, NOW) is None
    assert retry_after_seconds("soon", NOW) is None
