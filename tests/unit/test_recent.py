"""RecentSeries: the bucketed averages the performance sparklines draw."""

from __future__ import annotations

from umig_tui.state.recent import RecentSeries

KEY = ("production", "response_time_ms")


def test_values_average_each_bucket_and_leave_gaps_empty() -> None:
    recent = RecentSeries(bucket=10, size=60)
    recent.add(KEY, 1000.0, 100.0)
    recent.add(KEY, 1005.0, 200.0)  # same bucket: averaged
    recent.add(KEY, 1030.0, 50.0)  # two empty buckets between
    assert recent.values(KEY, now=1035.0, width=5) == [None, 150.0, None, None, 50.0]
    assert recent.latest(KEY) == 50.0


def test_values_end_at_now_and_drop_what_is_older_than_the_width() -> None:
    recent = RecentSeries(bucket=10, size=60)
    for second in range(0, 200, 10):
        recent.add(KEY, 1000.0 + second, float(second))
    # The last 3 buckets ending at now (1190): 170, 180, 190.
    assert recent.values(KEY, now=1190.0, width=3) == [170.0, 180.0, 190.0]
    # Now moved on with no new samples: the sparkline scrolls, the new buckets are empty.
    assert recent.values(KEY, now=1210.0, width=3) == [190.0, None, None]
    # A width of the whole size, and an unknown key.
    assert len(recent.values(KEY, now=1190.0)) == 60
    assert recent.values(("uat", "x"), now=1190.0, width=4) == [None] * 4


def test_a_sample_ahead_of_now_is_not_drawn_and_old_samples_never_move_it_back() -> None:
    recent = RecentSeries(bucket=10, size=60)
    recent.add(KEY, 1000.0, 1.0)
    recent.add(KEY, 1100.0, 2.0)  # a clock ahead of the dashboard's
    recent.add(KEY, 1050.0, 9.0)  # older than the newest bucket: dropped
    assert recent.values(KEY, now=1020.0, width=3) == [1.0, None, None]
    assert recent.values(KEY, now=1100.0, width=11) == [1.0] + [None] * 9 + [2.0]


def test_the_size_bounds_what_is_kept() -> None:
    recent = RecentSeries(bucket=1, size=5)
    for second in range(20):
        recent.add(KEY, float(second), float(second))
    assert recent.values(KEY, now=19.0, width=8) == [None, None, None, 15.0, 16.0, 17.0, 18.0, 19.0]


def test_seeded_history_comes_first_and_live_samples_continue_it() -> None:
    recent = RecentSeries(bucket=10, size=60)
    recent.seed({KEY: [(1000.0, 300.0, 3), (1010.0, 40.0, 2)]})
    recent.add(KEY, 1020.0, 7.0)
    assert recent.values(KEY, now=1020.0, width=3) == [100.0, 20.0, 7.0]


def test_values_asked_again_are_the_same_until_a_sample_or_the_clock_moves_them() -> None:
    recent = RecentSeries(bucket=10, size=60)
    recent.add(KEY, 1000.0, 4.0)
    first = recent.values(KEY, now=1005.0, width=3)
    first[0] = -1.0  # a caller's copy: changing it changes nothing kept
    assert recent.values(KEY, now=1009.0, width=3) == [None, None, 4.0]
    recent.add(KEY, 1009.0, 6.0)  # same bucket: the average moves
    assert recent.values(KEY, now=1009.0, width=3) == [None, None, 5.0]
    recent.add(KEY, 1010.0, 1.0)  # a new bucket
    assert recent.values(KEY, now=1010.0, width=3) == [None, 5.0, 1.0]
    assert recent.values(KEY, now=1020.0, width=3) == [5.0, 1.0, None]  # the clock moved on
    assert recent.values(KEY, now=1020.0, width=2) == [1.0, None]
    recent.seed({KEY: [(1030.0, 9.0, 1)]})
    assert recent.values(KEY, now=1030.0, width=2) == [None, 9.0]
