"""The practice's clock: office hours, quiet hours for texts, the check-in plan.

Read from `practice.yml` (all optional, with the defaults below):

    timezone: America/New_York
    office_hours:              # when someone answers the phone; days not listed are closed
      mon: "08:00-17:00"
      ...
    quiet_hours: {start: "20:00", end: "08:00"}   # no check-in is texted in between
    checkin_plan:              # `make followup` without WHEN: day 0 = the procedure's day
      - {day: 0, at: "18:00"}
      - {day: 1, at: "09:00"}

Pure Python (zoneinfo): the action server tells a parent when to expect a call
with it, the Rasa server's scheduler moves a check-in out of quiet hours with it.
A bad value raises `PracticeError` naming the setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Dict, List, Mapping, Optional, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from common.practice import PracticeError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_TIMEZONE = "America/New_York"
DEFAULT_OFFICE_HOURS = {day: "08:00-17:00" for day in DAYS[:5]}
DEFAULT_QUIET_HOURS = {"start": "20:00", "end": "08:00"}
DEFAULT_PLAN = ({"day": 0, "at": "18:00"}, {"day": 1, "at": "09:00"})

TODAY = "today"
CALLBACK_MARGIN = timedelta(minutes=30)  # time staff need to call back before closing
NEXT_BUSINESS_MORNING = "next_business_morning"


def _clock(value: Any, setting: str) -> time:
    text = str(value or "").strip()
    try:
        hours, minutes = text.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise PracticeError(f"{setting}: {text!r} is not a time like 08:00") from None


@dataclass(frozen=True)
class PracticeHours:
    zone: ZoneInfo
    office: Mapping[int, Tuple[time, time]]  # weekday (0 = Monday) -> (opens, closes)
    quiet: Tuple[time, time]  # (start, end), may wrap past midnight
    plan: Tuple[Tuple[int, time], ...]  # (days after the procedure, time of day)

    @classmethod
    def from_practice(cls, practice: Mapping[str, Any]) -> "PracticeHours":
        name = str(practice.get("timezone") or DEFAULT_TIMEZONE)
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise PracticeError(
                f"timezone: {name!r} is not a time zone like America/Chicago"
            ) from None
        raw_office = practice.get("office_hours")
        raw_office = DEFAULT_OFFICE_HOURS if raw_office is None else raw_office
        if not isinstance(raw_office, dict):
            raise PracticeError("office_hours: a mapping like {mon: '08:00-17:00'}")
        office: Dict[int, Tuple[time, time]] = {}
        for day, span in raw_office.items():
            key = str(day).lower()[:3]
            if key not in DAYS:
                raise PracticeError(f"office_hours: {day!r} is not a day (mon ... sun)")
            if span in (None, "", "closed"):
                continue
            opens, _, closes = str(span).partition("-")
            start = _clock(opens, f"office_hours.{key}")
            end = _clock(closes, f"office_hours.{key}")
            if end <= start:
                raise PracticeError(f"office_hours.{key}: {span!r} closes before it opens")
            office[DAYS.index(key)] = (start, end)
        quiet = practice.get("quiet_hours") or DEFAULT_QUIET_HOURS
        if not isinstance(quiet, dict):
            raise PracticeError("quiet_hours: a mapping like {start: '20:00', end: '08:00'}")
        quiet_span = (
            _clock(quiet.get("start"), "quiet_hours.start"),
            _clock(quiet.get("end"), "quiet_hours.end"),
        )
        raw_plan = practice.get("checkin_plan") or DEFAULT_PLAN
        plan: List[Tuple[int, time]] = []
        for index, step in enumerate(raw_plan):
            if not isinstance(step, dict):
                raise PracticeError(
                    f"checkin_plan[{index}]: a mapping like {{day: 0, at: '18:00'}}"
                )
            try:
                day = int(step.get("day", 0))
            except (TypeError, ValueError):
                raise PracticeError(f"checkin_plan[{index}].day: a whole number of days") from None
            if not 0 <= day <= 30:
                raise PracticeError(f"checkin_plan[{index}].day: 0 to 30 days after the procedure")
            plan.append((day, _clock(step.get("at"), f"checkin_plan[{index}].at")))
        return cls(zone, office, quiet_span, tuple(plan))

    # --- office hours --------------------------------------------------------------
    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.zone)

    def is_open(self, at: datetime) -> bool:
        local = self.local(at)
        span = self.office.get(local.weekday())
        return span is not None and span[0] <= local.time() < span[1]

    def next_opening(self, at: datetime) -> Optional[datetime]:
        """When the office next opens (`at` itself when open now), in UTC; None when the
        practice has no office hours at all."""
        if self.is_open(at):
            return at
        local = self.local(at)
        for offset in range(0, 8):
            day = local.date() + timedelta(days=offset)
            span = self.office.get(day.weekday())
            if not span:
                continue
            opening = datetime.combine(day, span[0], self.zone)
            if opening > local:
                return opening.astimezone(timezone.utc)
        return None

    def callback_expectation(self, at: datetime) -> str:
        """`today` when the office is open now and still will be in
        `CALLBACK_MARGIN` (a request at 4:55 pm is not promised a call today), else
        `next_business_morning`. Holidays are not known: a listed weekday counts."""
        if self.is_open(at) and self.is_open(at + CALLBACK_MARGIN):
            return TODAY
        return NEXT_BUSINESS_MORNING

    # --- texts -----------------------------------------------------------------
    def is_quiet(self, at: datetime) -> bool:
        now = self.local(at).time()
        start, end = self.quiet
        if start == end:
            return False
        if start < end:
            return start <= now < end
        return now >= start or now < end  # wraps past midnight

    def next_allowed(self, at: datetime) -> datetime:
        """`at`, or the end of the quiet hours it falls in, in UTC."""
        if not self.is_quiet(at):
            return at.astimezone(timezone.utc)
        local = self.local(at)
        end = datetime.combine(local.date(), self.quiet[1], self.zone)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.quiet[1], self.zone)
        return end.astimezone(timezone.utc)

    def plan_times(self, procedure_day: date, after: datetime) -> List[datetime]:
        """The check-in plan for a procedure on `procedure_day`: its times (out of quiet
        hours), those still ahead of `after`, in UTC."""
        times = []
        for day, at in self.plan:
            local = datetime.combine(procedure_day + timedelta(days=day), at, self.zone)
            when = self.next_allowed(local)
            if when > after and when not in times:
                times.append(when)
        return times

    def today(self, at: datetime) -> date:
        return self.local(at).date()
