"""The practice's office hours, quiet hours and check-in plan, in its own time zone."""

from datetime import date, datetime, timezone

import pytest

from common.hours import NEXT_BUSINESS_MORNING, TODAY, PracticeHours
from common.practice import PracticeError

PRACTICE = {
    "timezone": "America/Chicago",
    "office_hours": {"mon": "08:00-17:00", "tue": "08:00-17:00", "fri": "09:00-12:00"},
    "quiet_hours": {"start": "20:00", "end": "08:00"},
    "checkin_plan": [{"day": 0, "at": "18:00"}, {"day": 1, "at": "07:00"}],
}
HOURS = PracticeHours.from_practice(PRACTICE)


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


# 2026-12-01 is a Tuesday; Chicago is UTC-6 in December.
@pytest.mark.parametrize(
    "at, open_",
    [
        (utc(2026, 12, 1, 14, 0), True),  # 8:00 Tuesday
        (utc(2026, 12, 1, 13, 59), False),  # 7:59
        (utc(2026, 12, 1, 23, 0), False),  # 17:00 closes
        (utc(2026, 12, 2, 16, 0), False),  # Wednesday is not listed: closed
    ],
)
def test_open_in_the_practice_time_zone(at, open_):
    assert HOURS.is_open(at) is open_
    assert HOURS.callback_expectation(at) == (TODAY if open_ else NEXT_BUSINESS_MORNING)


def test_next_opening_skips_closed_days():
    # Tuesday 18:00 -> Friday 9:00 (Wednesday and Thursday are closed)
    assert HOURS.next_opening(utc(2026, 12, 2, 0, 0)) == utc(2026, 12, 4, 15, 0)
    # before opening on a business day: that morning
    assert HOURS.next_opening(utc(2026, 12, 1, 12, 0)) == utc(2026, 12, 1, 14, 0)


def test_quiet_hours_wrap_past_midnight_and_move_a_text_to_their_end():
    late = utc(2026, 12, 2, 3, 30)  # 21:30 Tuesday in Chicago
    early = utc(2026, 12, 2, 12, 0)  # 6:00 Wednesday
    assert HOURS.is_quiet(late) and HOURS.is_quiet(early)
    assert HOURS.next_allowed(late) == utc(2026, 12, 2, 14, 0)  # 8:00 Wednesday
    assert HOURS.next_allowed(early) == utc(2026, 12, 2, 14, 0)
    noon = utc(2026, 12, 2, 18, 0)
    assert not HOURS.is_quiet(noon) and HOURS.next_allowed(noon) == noon


def test_plan_times_are_moved_out_of_quiet_hours_and_only_future_ones_kept():
    procedure_day = date(2026, 12, 1)
    times = HOURS.plan_times(procedure_day, after=utc(2026, 12, 1, 15, 0))
    # 18:00 the same day; 7:00 the next day falls in quiet hours -> 8:00
    assert times == [utc(2026, 12, 2, 0, 0), utc(2026, 12, 2, 14, 0)]
    assert HOURS.plan_times(procedure_day, after=utc(2026, 12, 2, 1, 0)) == [
        utc(2026, 12, 2, 14, 0)
    ]


def test_defaults_when_the_practice_file_says_nothing():
    hours = PracticeHours.from_practice({})
    assert hours.zone.key == "America/New_York"
    assert hours.is_open(utc(2026, 12, 1, 15, 0))  # 10:00 Tuesday in New York
    assert hours.is_quiet(utc(2026, 12, 2, 2, 0))  # 21:00


@pytest.mark.parametrize(
    "change, named",
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"office_hours": {"mon": "9-5"}}, "office_hours.mon"),
        ({"office_hours": {"funday": "08:00-17:00"}}, "office_hours"),
        ({"office_hours": {"mon": "17:00-08:00"}}, "office_hours.mon"),
        ({"quiet_hours": {"start": "8pm", "end": "08:00"}}, "quiet_hours.start"),
        ({"checkin_plan": [{"day": 45, "at": "09:00"}]}, "checkin_plan[0].day"),
    ],
)
def test_a_bad_setting_is_refused_by_name(change, named):
    with pytest.raises(PracticeError, match=named.replace("[", r"\[").replace("]", r"\]")):
        PracticeHours.from_practice({**PRACTICE, **change})
