import pytest

from calbridge.outbox.backoff import backoff_seconds


@pytest.mark.parametrize(
    ("attempt", "rand", "expected"),
    [
        (1, 0.0, 1.0),  # half of base=2 is kept
        (1, 0.999, 1.999),
        (2, 0.0, 2.0),
        (3, 0.5, 6.0),  # delay 8: 4 kept + half of 4
        (10, 0.0, 50.0),  # capped at 100
        (2000, 0.0, 50.0),  # a huge attempt count neither overflows nor passes the cap
    ],
)
def test_delay_doubles_with_equal_jitter_up_to_the_cap(
    attempt: int, rand: float, expected: float
) -> None:
    delay = backoff_seconds(attempt, base=2.0, cap=100.0, rand=lambda: rand)
    assert delay == pytest.approx(expected, abs=1e-3)


def test_each_wait_is_at_least_the_previous_one_whatever_the_jitter() -> None:
    # Up to the cap (600 s: 2 * 2**8 = 512 is the last doubling below it).
    for attempt in range(1, 9):
        longest_now = backoff_seconds(attempt, base=2.0, cap=600.0, rand=lambda: 0.999999)
        shortest_next = backoff_seconds(attempt + 1, base=2.0, cap=600.0, rand=lambda: 0.0)
        assert shortest_next >= longest_now


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        backoff_seconds(0, base=2.0, cap=10.0)
