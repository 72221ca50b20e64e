"""`make review` shows what the practice heard: alerts, callbacks and check-ins.

The practice loop's tables are filled directly (as the Rasa server's loop writes
them) in a SQLite tracker database; the report's figures are read back with
`load_heard`, and the page is written by the review command itself.
"""

import datetime as dt
import os
import re
import subprocess
import sys
import uuid

import pytest
import sqlalchemy as sa

from addons.practice import db
from addons.staff.review import load_heard
from addons.staff.review.heard import figures
from addons.staff.review.load import Data
from addons.staff.review.render import render
from tests.helpers.tracker_seed import ROOT

START, END = dt.date(2026, 3, 2), dt.date(2026, 3, 8)
PARENT = "+15550104477"
ON_CALL_SMS = "+15550009911"
ON_CALL_EMAIL = "jane.doe@example.com"
WORDS = "his face is swollen, call me at 555-010-4477"
SECRETS = (PARENT, "5550104477", "555-010-4477", ON_CALL_SMS, "5550009911", ON_CALL_EMAIL)


def utc(month, day, hour, minute=0):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=dt.timezone.utc)


def alert(id, severity, conversation, channel, created, handled=None, deduped_by=None):
    return {
        "id": id,
        "kind": "callback" if severity == "callback" else "red_flag",
        "severity": severity,
        "conversation_id": conversation,
        "channel": channel,
        "words": WORDS,
        "created_at": created,
        "handled_at": handled,
        "message_key": f"m{id}",
        "deduped_by": deduped_by,
    }


def delivery(alert_id, medium, status, at, error=None, attempts=1):
    return {
        "alert_id": alert_id,
        "medium": medium,
        "target": ON_CALL_SMS if medium == "sms" else ON_CALL_EMAIL,
        "status": status,
        "attempts": attempts,
        "next_attempt_at": at,
        "claimed_at": at,
        "last_error": error,
    }


def callback(id, status, created, alert_id=None, handled=None):
    return {
        "id": id,
        "conversation_id": f"sms:{PARENT}",
        "channel": "twilio",
        "phone": PARENT,
        "words": WORDS,
        "status": status,
        "created_at": created,
        "alert_id": alert_id,
        "handled_at": handled,
    }


def checkin(status, send_at, reason=None):
    return {
        "phone": PARENT,
        "procedure": "pulpotomy",
        "send_at": send_at,
        "requested_at": send_at,
        "status": status,
        "created_at": send_at - dt.timedelta(days=1),
        "created_by": "front desk",
        "reason": reason,
    }


SMTP_REFUSED = (
    f"SMTPRecipientsRefused: {{'{ON_CALL_EMAIL}': (550, b'no such user')}}\n"
    "  second line of the traceback"
)
TWILIO_REFUSED = f"TwilioRestException: HTTP 400: the 'To' number {ON_CALL_SMS} is not valid"


def fill(url):
    engine = db.engine(url)
    with engine.begin() as connection:
        connection.execute(
            db.alerts.insert(),
            [
                # a SMS emergency, handled after 10 minutes; its e-mail failed for good
                alert(1, "emergency", f"sms:{PARENT}", "twilio", utc(3, 4, 12), utc(3, 4, 12, 10)),
                # the same conversation 10 minutes later: recorded, not sent again
                alert(2, "emergency", f"sms:{PARENT}", "twilio", utc(3, 4, 12, 10), deduped_by=1),
                # a web urgent flag, never handled; its SMS failed, its e-mail still pending
                alert(3, "urgent", "web:session-1", "webchat", utc(3, 5, 9)),
                # a REST urgent flag handled after 20 minutes, its SMS on its way
                alert(4, "urgent", "rest:pms-7", "rest", utc(3, 6, 10), utc(3, 6, 10, 20)),
                # two callback requests' alerts: one sent, one failed (no SMTP)
                alert(5, "callback", f"sms:{PARENT}", "twilio", utc(3, 6, 22)),
                alert(6, "callback", f"sms:{PARENT}", "twilio", utc(3, 7, 9)),
                # outside the period
                alert(7, "urgent", f"sms:{PARENT}", "twilio", utc(2, 1, 12)),
            ],
        )
        connection.execute(
            db.deliveries.insert(),
            [
                delivery(1, "sms", "sent", utc(3, 4, 12)),
                delivery(1, "email", "failed", utc(3, 4, 12, 6), SMTP_REFUSED, attempts=4),
                delivery(3, "sms", "failed", utc(3, 5, 9, 6), TWILIO_REFUSED, attempts=4),
                delivery(3, "email", "pending", utc(3, 5, 9, 1), "timed out", attempts=1),
                delivery(4, "sms", "sending", utc(3, 6, 10)),
                delivery(5, "sms", "sent", utc(3, 7, 8)),
                delivery(6, "email", "failed", utc(3, 7, 9), "SMTP_URL is not set"),
                delivery(7, "sms", "failed", utc(2, 1, 12), "outside the period"),
            ],
        )
        connection.execute(
            db.callbacks.insert(),
            [
                callback(1, "requested", utc(3, 6, 22), alert_id=5),
                callback(2, "handled", utc(3, 7, 9), alert_id=6, handled=utc(3, 7, 9, 45)),
                callback(3, "cancelled", utc(3, 7, 10)),
                callback(4, "handled", utc(2, 1, 9), handled=utc(2, 1, 10)),  # outside
            ],
        )
        connection.execute(
            db.checkins.insert(),
            [
                checkin("sent", utc(3, 4, 23)),
                checkin("sent", utc(3, 5, 13)),
                checkin("scheduled", utc(3, 8, 13)),
                checkin("sending", utc(3, 8, 14)),
                checkin("skipped", utc(3, 5, 14), "opted out"),
                checkin("failed", utc(3, 5, 15), "the SMS channel is off on the server"),
                checkin("failed", utc(3, 5, 16), "the SMS channel is off on the server"),
                checkin("failed", utc(3, 6, 15), f"Twilio refused {PARENT}\nmore detail"),
                checkin("cancelled", utc(3, 6, 16), "cancelled by staff"),
                checkin("sent", utc(2, 1, 15)),  # outside the period
            ],
        )


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "tracker.db"
    url = f"sqlite:///{path}"
    fill(url)
    return path, url


def test_figures_of_alerts_deliveries_callbacks_and_checkins(store):
    _, url = store
    numbers = figures(load_heard(START, END, url))

    red = numbers["red_flags"]
    assert red["total"] == 4
    assert red["by_severity"] == {"emergency": 2, "urgent": 2}
    assert red["by_channel"] == {
        "REST": {"urgent": 1},
        "SMS": {"emergency": 2},
        "web": {"urgent": 1},
    }
    assert (red["alerted"], red["within_30_minutes"]) == (3, 1)
    # alerts 1 and 4 handled after 10 and 20 minutes; alert 3 not (the deduped one is not counted)
    assert red["first_staff_action"] == {
        "recorded": True,
        "handled": 2,
        "not_handled": 1,
        "median_seconds": 15 * 60,
    }

    assert numbers["deliveries"] == {
        "red_flag": {"sent": 1, "failed": 2, "pending": 2},
        "callback": {"sent": 1, "failed": 1, "pending": 0},
    }
    failures = numbers["delivery_failures"]
    assert [(f["alert"], f["medium"], f["contact"], f["attempts"]) for f in failures] == [
        ("red_flag", "email", "j***@example.com", 4),
        ("red_flag", "sms", "+***-**11", 4),
        ("callback", "email", "j***@example.com", 1),
    ]
    assert failures[0]["error"] == (
        "SMTPRecipientsRefused: {'j***@example.com': (550, b'no such user')}"
    )  # the first line only, the address masked
    assert failures[1]["error"] == (
        "TwilioRestException: HTTP 400: the 'To' number +***-**11 is not valid"
    )
    assert failures[0]["last_attempt"] == "2026-03-04T12:06:00+00:00"

    assert numbers["callbacks"] == {
        "total": 3,
        "by_status": {"requested": 1, "handled": 1, "cancelled": 1},
        "alerted": 2,
        "alert_delivered": 1,
        "first_staff_action": {
            "recorded": True,
            "handled": 1,
            "not_handled": 2,
            "median_seconds": 45 * 60,
        },
    }
    assert numbers["checkins"] == {
        "total": 9,
        "by_status": {"scheduled": 2, "sent": 2, "skipped": 1, "failed": 3, "cancelled": 1},
        "failed_reasons": {
            "the SMS channel is off on the server": 2,
            "Twilio refused +***-**77": 1,
        },
    }
    assert not any(secret in repr(numbers) for secret in SECRETS)
    assert "swollen" not in repr(numbers)


def test_an_old_database_gives_an_empty_section(tmp_path):
    """A tracker database from before the practice loop: the tables are created, the
    section says nothing happened and that staff actions are not yet recorded."""
    path = tmp_path / "old.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE events (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    heard = load_heard(START, END, f"sqlite:///{path}")
    numbers = figures(heard)
    assert numbers["red_flags"]["total"] == 0 and numbers["checkins"]["total"] == 0
    assert numbers["red_flags"]["first_staff_action"]["recorded"] is False
    assert "practice_alerts" in sa.inspect(db.engine(f"sqlite:///{path}")).get_table_names()


@pytest.mark.slow  # draws the report's charts with matplotlib
def test_unhandled_alerts_say_not_yet_recorded(tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    with db.engine(url).begin() as connection:
        connection.execute(
            db.alerts.insert(), [alert(1, "urgent", "web:session-2", "webchat", utc(3, 3, 12))]
        )
    page = render(Data(start=START, end=END, heard=load_heard(START, END, url)))
    heard = section(page, "heard")
    assert "Time from alert to first staff action: not yet recorded." in heard
    assert "Time from request to first staff action: not yet recorded." in heard
    assert "No callback request in this period." in heard
    assert "No check-in to send in this period." in heard
    assert "No delivery failed in this period." in heard
    assert "<tr><td>web</td><td>0</td><td>1</td><td>1</td></tr>" in heard


def section(page, anchor):
    start = page.index(f"id='{anchor}'")
    end = page.find("<h2", start)
    return page[start : end if end > 0 else None]


def rows(html):
    return [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", html)
        if "<td>" in row
    ]


@pytest.mark.slow  # the review command draws its charts with matplotlib
def test_the_review_command_shows_what_the_practice_heard(store, tmp_path):
    path, _ = store
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TRACKER_SQLITE_PATH")}
    env["TRACKER_SQLITE_PATH"] = str(path)
    out = tmp_path / "review.html"
    result = subprocess.run(
        [sys.executable, "-m", "addons.staff.review", "--from", f"{START}", "--to", f"{END}"]
        + ["--out", str(out), "--show-senders"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (
        "The practice heard: 4 red flag(s) (3 alerted, 3 delivery failure(s)), "
        "3 callback request(s), 9 check-in(s) (2 sent)." in result.stdout
    )
    page = out.read_text(encoding="utf-8")
    # Even with --show-senders: no whole number or address, no parent's words.
    assert not any(secret in page for secret in SECRETS)
    assert "swollen" not in page

    alerts = section(page, "heard")[: section(page, "heard").index("id='heard-deliveries'")]
    assert rows(alerts) == [
        ["REST", "0", "1", "1"],
        ["SMS", "2", "0", "2"],
        ["web", "0", "1", "1"],
        ["all channels", "2", "2", "4"],
    ]
    assert "3 alerted the on-call contacts; 1 came within 30 minutes" in alerts
    assert (
        "Time from alert to first staff action: median 15 min (2 handled, 1 not yet handled)."
        in alerts
    )

    heard = section(page, "heard")
    deliveries = heard[heard.index("id='heard-deliveries'") : heard.index("id='heard-callbacks'")]
    table = rows(deliveries)
    assert table[:2] == [
        ["red-flag alerts", "1", "2", "2", "5"],
        ["callback alerts", "1", "1", "0", "2"],
    ]
    first_failure = f"{utc(3, 4, 12, 6).astimezone():%Y-%m-%d %H:%M}"
    assert table[2][0] == first_failure
    assert table[2][1:4] == ["emergency red flag", table[2][2], "e-mail"]
    assert table[2][2].endswith("(phone ...77)")  # the parent, masked
    assert table[2][4:] == [
        "j***@example.com",
        "4",
        "SMTPRecipientsRefused: {&#39;j***@example.com&#39;: (550, b&#39;no such user&#39;)}",
    ]
    assert [r[3:5] for r in table[3:]] == [["SMS", "+***-**11"], ["e-mail", "j***@example.com"]]
    assert table[4][1] == "callback request" and table[4][6] == "SMTP_URL is not set"

    callbacks = heard[heard.index("id='heard-callbacks'") : heard.index("id='heard-checkins'")]
    assert rows(callbacks) == [
        ["requested", "1"],
        ["handled", "1"],
        ["cancelled", "1"],
        ["staff alerted", "2"],
        ["alert delivered to at least one contact", "1"],
    ]
    assert "median 45 min (1 handled, 2 not yet handled)" in callbacks

    checkins = heard[heard.index("id='heard-checkins'") :]
    assert rows(checkins) == [
        ["scheduled (still to send)", "2"],
        ["sent", "2"],
        ["skipped (opted out)", "1"],
        ["failed", "3"],
        ["cancelled", "1"],
        ["the SMS channel is off on the server", "2"],
        ["Twilio refused +***-**77", "1"],
    ]


@pytest.mark.services
def test_postgresql_gives_the_same_figures(store, postgres):
    """Times are `timestamptz` there: the period's bounds are the same instants."""
    _, sqlite_url = store
    url = postgres.new_database(f"review_loop_{uuid.uuid4().hex[:8]}")
    fill(url)
    on_postgresql = figures(load_heard(START, END, url))
    assert on_postgresql == figures(load_heard(START, END, sqlite_url))
    assert on_postgresql["red_flags"]["total"] == 4 and on_postgresql["checkins"]["total"] == 9


@pytest.mark.slow  # draws the report's charts with matplotlib
def test_unreadable_practice_tables_leave_the_rest_of_the_report(tmp_path):
    """A read-only database without the practice tables (they cannot be created): the
    report of what parents asked is still written, the section says why it is empty."""
    from addons.staff.review import load

    path = tmp_path / "readonly.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE unrelated (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    data = load(START, END, f"sqlite:///file:{path}?mode=ro&uri=true")
    assert data.heard is None and "readonly database" in data.heard_error
    heard = section(render(data), "heard")
    assert "The practice loop's tables could not be read: cannot read" in heard
