"""One rule for every time a person reads: local time labelled with its zone, or UTC when asked.

Zones are set through TZ (and restored): the same instant must read differently in Paris, in a
zone without an abbreviation and in UTC, and always say which it is.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

import pytest

from umig_tui.util import timefmt
from umig_tui.util.timefmt import (
    clock,
    day,
    iso,
    minute,
    set_utc,
    stamp,
    stamp_text,
    toggle_utc,
    use_utc,
    zone,
)

pytestmark = pytest.mark.skipif(
    not os.path.exists("/usr/share/zoneinfo/Europe/Paris"), reason="no system time-zone data"
)

WINTER = 1_796_650_387.0  # 2026-12-07 13:33:07 UTC
SUMMER = 1_781_789_587.0  # 2026-06-18 13:33:07 UTC


@pytest.fixture
def tz() -> Iterator[Callable[[str], None]]:
    """Switch the process's zone (TZ); the machine's zone and the UTC setting come back after."""
    saved = os.environ.get("TZ")
    was_utc = use_utc()

    def switch(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()

    yield switch
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()
    set_utc(was_utc)


def test_local_time_is_labelled_with_the_zone_abbreviation(tz: Callable[[str], None]) -> None:
    tz("Europe/Paris")
    set_utc(False)
    assert stamp(WINTER) == "2026-12-07 14:33 CET"
    assert stamp(SUMMER) == "2026-06-18 15:33 CEST"  # daylight saving named as such
    assert stamp(WINTER, seconds=True) == "2026-12-07 14:33:07 CET"
    assert clock(WINTER, label=True) == "14:33:07 CET"


def test_utc_switches_every_function_to_utc(tz: Callable[[str], None]) -> None:
    tz("Europe/Paris")
    set_utc(True)
    assert stamp(WINTER) == "2026-12-07 13:33 UTC"
    assert clock(WINTER) == "13:33:07"
    assert clock(WINTER, label=True) == "13:33:07 UTC"
    assert minute(WINTER) == "13:33"
    assert zone(SUMMER) == "UTC"


def test_a_zone_without_an_abbreviation_is_named_by_its_offset(tz: Callable[[str], None]) -> None:
    tz("Asia/Dubai")  # tzdata calls it "+04"
    set_utc(False)
    assert stamp(WINTER) == "2026-12-07 17:33 UTC+04:00"
    tz("Asia/Kolkata")
    assert zone(WINTER) in ("IST", "UTC+05:30")
    tz("America/St_Johns")
    assert stamp(WINTER) == "2026-12-07 10:03 NST"


def test_the_date_follows_the_shown_zone(tz: Callable[[str], None]) -> None:
    late = 1_796_684_700.0  # 2026-12-07 23:05 UTC: already the 8th in Tokyo
    tz("Asia/Tokyo")
    set_utc(False)
    assert day(late) == "2026-12-08"
    set_utc(True)
    assert day(late) == "2026-12-07"


def test_toggle_flips_and_says_where_it_landed(tz: Callable[[str], None]) -> None:
    set_utc(False)
    assert toggle_utc() is True
    assert use_utc()
    assert toggle_utc() is False
    assert not use_utc()


def test_times_from_elsewhere_are_shown_by_the_rule_and_odd_ones_as_they_came(
    tz: Callable[[str], None],
) -> None:
    tz("Europe/Paris")
    set_utc(False)
    assert stamp_text("2026-12-07T13:33:07Z") == "2026-12-07 14:33 CET"  # an API's deployedAt
    assert stamp_text("2026-12-07T13:33:07+00:00") == "2026-12-07 14:33 CET"  # a history line
    assert stamp_text("last tuesday") == "last tuesday"
    assert stamp_text(None) is None


def test_machine_formats_stay_iso_utc_whatever_the_setting(tz: Callable[[str], None]) -> None:
    tz("Europe/Paris")
    for utc in (False, True):
        set_utc(utc)
        assert iso(WINTER) == "2026-12-07T13:33:07+00:00"


def test_the_setting_is_one_per_process() -> None:
    assert timefmt.use_utc is use_utc  # the CLI's --utc and the dashboard's key share it
