"""The review command builds an HTML report with charts from a seeded tracker store."""

import base64
import datetime as dt
import os
import re
import subprocess
import sys
import uuid

import pytest

from tests.helpers.tracker_seed import ROOT, Session, Turn, seed

pytestmark = pytest.mark.slow  # draws the charts with matplotlib


def at(day, hour=10):
    return dt.datetime(2026, 1, day, hour).timestamp()


HELLO = Turn("hi", "greet", topic="greet")
POTOMY = Turn("what is a pulpotomy", "ask_definition", topic="what_is_pulpotomy")
HURT = Turn("will it hurt", "ask_pain", topic="pain")
INSURANCE = [
    Turn("do you take delta dental insurance", "out_of_scope", topic="out_of_scope"),
    Turn("does my insurance cover it", "out_of_scope", topic="out_of_scope"),
    Turn("<script>alert(1)</script> is insurance accepted", "out_of_scope", topic="out_of_scope"),
]
PARKING = [
    Turn("where do i park my car", "nlu_fallback", nearest="contact_practice", topic="fallback"),
    Turn(
        "is there parking near the office",
        "nlu_fallback",
        nearest="contact_practice",
        topic="fallback",
    ),
]
RED = Turn(
    "his face is swollen and he can't breathe well",
    "report_red_flag",
    red_flag="emergency",
    topic="red_flag_emergency",
    action="action_red_flag",
)

# 2026-01-05 is a Monday: four weeks, 5 Jan to 1 Feb.
CONVERSATIONS = {
    "web-1": [Session(at(5), [HELLO, POTOMY, HURT], channel="socketio")],
    "web-2": [Session(at(6), [POTOMY, INSURANCE[0]], channel="socketio")],
    "rest-1": [Session(at(13), [INSURANCE[1], PARKING[0]], channel="rest")],
    "+15550104477": [
        Session(at(14), [HURT, RED], channel="twilio"),
        Session(
            at(21),
            [INSURANCE[2], PARKING[1]],
            channel="twilio",
            carried={"last_topic": "pain", "procedure": "pulpotomy"},
        ),
    ],
    "rest-2": [Session(at(20), [POTOMY], channel="rest")],
    "outside": [Session(at(2), [POTOMY, RED], channel="rest")],  # before the range
}


@pytest.fixture(params=["sqlite", "postgresql"])
def seeded(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "tracker.db"
        env, url = {"TRACKER_SQLITE_PATH": str(path)}, f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres").new_database(f"review_{uuid.uuid4().hex[:8]}")
        env = {"DATABASE_URL": url}
    seed(url, CONVERSATIONS)
    return env


def run_review(env, out, *args):
    full_env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TRACKER_SQLITE_PATH")
    }
    full_env.update(env)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "addons.staff.review",
            "--from",
            "2026-01-05",
            "--to",
            "2026-02-01",
            "--out",
            str(out),
            *args,
        ],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return out.read_text(encoding="utf-8"), result.stdout


def cards(page):
    return {
        label: int(n)
        for n, label in re.findall(r"<div class='card'><b>(\d+)</b>([^<]+)</div>", page)
    }


def section(page, anchor):
    start = page.index(f"id='{anchor}'")
    end = page.find("<h2", start)
    return page[start : end if end > 0 else None]


def test_report_counts_charts_topics_red_flags_and_unanswered(seeded, tmp_path):
    page, stdout = run_review(seeded, tmp_path / "review.html")
    assert "6 conversation(s), 12 message(s)" in stdout  # the phone: two sessions

    # Charts are embedded PNGs; nothing is loaded from elsewhere.
    images = re.findall(r"src='data:image/png;base64,([^']+)'", page)
    assert len(images) == 4
    assert all(base64.b64decode(image)[:8] == b"\x89PNG\r\n\x1a\n" for image in images)
    assert not re.search(r"(src|href)=['\"]?https?:", page) and "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    assert cards(page) == {
        "conversations": 6,
        "parent messages": 12,
        "red-flag conversations": 1,
        "messages not answered": 5,
        "channels": 3,
    }
    weekly = section(page, "weekly")
    # per week and channel: conversations / messages (rest, socketio, twilio, all)
    assert (
        "<tr><td>2026-01-05</td><td>0 / 0</td><td>2 / 5</td><td>0 / 0</td><td>2 / 5</td></tr>"
        in weekly
    )
    assert (
        "<tr><td>2026-01-12</td><td>1 / 2</td><td>0 / 0</td><td>1 / 2</td><td>2 / 4</td></tr>"
        in weekly
    )
    assert (
        "<tr><td>2026-01-19</td><td>1 / 1</td><td>0 / 0</td><td>1 / 2</td><td>2 / 3</td></tr>"
        in weekly
    )
    assert (
        "<tr><td>2026-01-26</td><td>0 / 0</td><td>0 / 0</td><td>0 / 0</td><td>0 / 0</td></tr>"
        in weekly
    )

    topics = section(page, "topics")
    rows = re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td><td>(\d+)</td></tr>", topics)
    assert rows[0] == ("What is a pulpotomy?", "3", "3")
    # the last_topic carried over at a session start is not an answer
    assert ("Will it hurt?", "2", "2") in rows

    red = section(page, "red-flags")
    assert "his face is swollen" in red and "emergency" in red and "twilio" in red
    assert "+15550104477" not in page and "...77" in red
    assert red.count("<tr>") == 2  # header + one conversation (the other is out of range)

    unanswered = section(page, "unanswered")
    groups = re.findall(r"<div class='group'>(.*?)</div>", unanswered, re.S)
    assert len(groups) == 2
    insurance = next(g for g in groups if "insurance" in g)
    assert "3 message(s)" in insurance and "3 out of scope" in insurance
    assert all(t.text.split()[-1] in insurance for t in INSURANCE)
    parking = next(g for g in groups if "park" in g)
    assert "2 message(s)" in parking and "contact_practice (2)" in parking


def test_show_senders_and_an_empty_period(seeded, tmp_path):
    page, _ = run_review(seeded, tmp_path / "full.html", "--show-senders")
    assert "+15550104477" in page
    full_env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TRACKER_SQLITE_PATH")
    }
    full_env.update(seeded)
    out = tmp_path / "empty.html"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "addons.staff.review",
            "--from",
            "2025-06-01",
            "--to",
            "2025-06-30",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    page = out.read_text()
    assert cards(page)["conversations"] == 0
    assert "Every message in this period was answered." in page
