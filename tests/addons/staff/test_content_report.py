"""The content report: every answer, SMS text and safety threshold on one
self-contained HTML page, for the practice's dentist to sign off."""

import datetime as dt
import html
import os
import re
import subprocess
import sys

import pytest
import yaml
from markupsafe import escape

from common.paths import PROJECT_ROOT as ROOT
from common.thresholds import EMERGENCY

PRACTICE = ROOT / "practice.yml"
OWN = "Our dentist covers the tooth with a steel crown. It falls out with the tooth."
DENTIST = "Dr. Ana O'Neil"


def run_report(out, *args):
    env = {k: v for k, v in os.environ.items() if k != "PRACTICE_FILE"}  # practice.yml
    env["RASA_TELEMETRY_ENABLED"] = "false"
    result = subprocess.run(
        [sys.executable, "-m", "addons.staff.content_report", "--out", str(out), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return out.read_text(encoding="utf-8"), result.stdout


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The report for the shipped practice.yml, written once for the module."""
    out = tmp_path_factory.mktemp("content-report") / "report.html"
    page, stdout = run_report(out)
    return out, page, stdout


def articles(page):
    """answer id -> its article's HTML."""
    found = re.findall(
        r"<article class='answer[^']*' id='answer-([^']+)'>(.*?)</article>", page, re.S
    )
    return dict(found)


def signoff(page):
    return {
        name: html.unescape(value)
        for name, value in re.findall(r"<span class='blank[^']*' id='signoff-(\w+)'>([^<]*)<", page)
    }


def cards(page):
    return {
        label: n for n, label in re.findall(r"<div class='card'><b>([^<]+)</b>([^<]+)</div>", page)
    }


def test_every_answer_is_shown_with_its_web_and_sms_text(report, knowledge):
    _, page, stdout = report
    assert f"{len(knowledge.entries)} answer(s), 0 replaced" in stdout
    shown = articles(page)
    assert list(shown) == [a for a in shown if a in knowledge.entries]
    assert set(shown) == set(knowledge.entries)
    contents = page[page.index("<nav id='contents'") : page.index("</nav>")]
    for topic, body in shown.items():
        reply = knowledge.reply(topic)
        # the SMS exactly as the phone receives it, with its length and segments
        assert f"<p class='phone-bubble'>{escape(reply.sms)}</p>" in body, topic
        assert f"{len(reply.sms)} characters" in body
        assert re.search(r"&middot; \d SMS segments?", body)
        assert f"<p>{escape(reply.long_text)}</p>" in body, topic
        for title, _ in reply.buttons:
            assert f">{escape(title)}</a>" in body
        assert "Replaced by the practice" not in body
        assert f"href='#answer-{topic}'" in contents
    # an answer that routes by procedure shows its intents; a long SMS counts 2 segments
    assert "<code>ask_definition (about a pulpotomy)</code>" in shown["what_is_pulpotomy"]
    long_sms = next(t for t in shown if len(knowledge.reply(t).sms) > 160)
    assert "2 SMS segments" in shown[long_sms]
    assert cards(page)["answers"] == str(len(knowledge.entries))
    assert cards(page)["replaced by the practice"] == "0"


def test_the_threshold_table_lists_every_sign_and_where_it_leads(report, knowledge):
    _, page, _ = report
    thresholds = knowledge.thresholds
    emergency_reply = thresholds.tiers[EMERGENCY].reply
    table = page[page.index("<section class='part' id='thresholds'>") :]
    table = table[: table.index("</section>")]
    assert knowledge.thresholds.fever.words() in table
    for tier in thresholds.tiers.values():
        assert escape(knowledge.fill(tier.chat)) in table
    for sign in thresholds.signs.values():
        row = re.search(rf"<tr id='sign-{sign.id}'>(.*?)</tr>", table, re.S)
        assert row, f"sign {sign.id} missing from the table"
        row = row.group(1)
        assert escape(knowledge.fill(sign.chat)) in row
        for example in sign.examples:
            assert escape(example) in row
        expected = sign.reply or thresholds.tiers[sign.tier].reply
        if expected:
            assert f"href='#answer-{expected}'" in row
        if sign.tier == EMERGENCY:
            assert knowledge.red_flag_topic(EMERGENCY, [sign.id]) == emergency_reply
            assert f"href='#answer-{emergency_reply}'" in row, sign.id
    assert "href='#answer-crown_loose'" in re.search(
        r"<tr id='sign-loose_crown'>(.*?)</tr>", table, re.S
    ).group(1)


def test_the_sign_off_box_is_blank_until_set(report):
    _, page, _ = report
    assert "Reviewed and approved by" in page and "Signature" in page
    assert signoff(page) == {"dentist": "", "date": ""}


def test_nothing_is_loaded_from_anywhere_else(report, knowledge):
    _, page, _ = report
    lowered = page.lower()
    for tag in ("<script", "<link", "<img", "<iframe", "<object", "<embed", "@import", "url("):
        assert tag not in lowered, tag
    assert not re.search(r"\ssrc=", page)
    cited = {key for entry in knowledge.entries.values() for key in entry.sources} | {
        key for sign in knowledge.thresholds.signs.values() for key in sign.sources
    }
    allowed = {knowledge.sources[key]["url"] for key in cited}
    links = [html.unescape(h) for h in re.findall(r"href=['\"]([^'\"]*)['\"]", page)]
    outside = [h for h in links if not h.startswith("#")]
    assert outside and all(h in allowed for h in outside), set(outside) - allowed
    assert all(re.match(r"https?://", h) for h in outside)
    assert not re.search(r"href=(?!['\"]?(#|https?://))", page)  # no file:, data:, javascript:


OWN_ES = "Su dentista tapa el diente con una corona. Se cae con el diente."


def test_the_practices_own_wording_and_sign_off_are_shown(tmp_path, knowledge):
    (tmp_path / "overrides.yml").write_text(
        yaml.safe_dump(
            [
                {"id": "crown", "chat": OWN, "reviewed": "2026-12-01"},
                # the loader needs the practice's wording in both languages
                {"id": "crown", "language": "es", "chat": OWN_ES, "reviewed": "2026-12-01"},
            ]
        )
    )
    practice = yaml.safe_load(PRACTICE.read_text())
    practice["overrides"] = "overrides.yml"
    practice["content_review"] = {"dentist": DENTIST, "date": dt.date(2026, 11, 30)}
    practice_file = tmp_path / "practice.yml"
    practice_file.write_text(yaml.safe_dump(practice, sort_keys=False))

    page, stdout = run_report(tmp_path / "report.html", "--practice", str(practice_file))
    assert "1 replaced by the practice" in stdout
    shown = articles(page)
    replaced = [topic for topic, body in shown.items() if "Replaced by the practice" in body]
    assert replaced == ["crown"]
    assert f"<p>{escape(OWN)}</p>" in shown["crown"]
    assert "overrides.yml" in shown["crown"] and "topics.yml" in shown["crown"]
    # the shipped SMS stays (only the chat was replaced)
    assert escape(knowledge.reply("crown").sms) in shown["crown"]
    assert cards(page)["replaced by the practice"] == "1"
    assert signoff(page) == {"dentist": DENTIST, "date": "2026-11-30"}
    assert escape(DENTIST) in page


@pytest.mark.slow  # drives a browser
def test_the_page_opens_offline_in_chromium_and_its_contents_links_jump(chromium, report):
    path, _, _ = report
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        requests, errors = [], []
        page.on("request", lambda request: requests.append(request.url))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(path.as_uri(), wait_until="load")

        assert not _in_viewport(page, "answer-crown")  # below the first screen
        page.locator("#contents a[href='#answer-crown']").click()
        page.wait_for_function("location.hash === '#answer-crown'")
        assert _in_viewport(page, "answer-crown")

        shot = path.parent / "report.png"
        page.screenshot(path=str(shot), full_page=True)
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000

        assert requests and all(url.startswith("file://") for url in requests), requests
        assert not errors
    finally:
        context.close()


def _in_viewport(page, element_id):
    """True when the element's top is on screen."""
    return page.evaluate(
        """id => { const r = document.getElementById(id).getBoundingClientRect();
                   return r.top >= 0 && r.top < window.innerHeight; }""",
        element_id,
    )
