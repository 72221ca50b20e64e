"""The widget in Debian's Chromium against the real Rasa and action servers.

Every page is checked afterwards for requests to anyone but the assistant and the
practice's page, for dialogs (a script that ran) and for errors (conftest.py).
Waits are on what the page shows, with generous limits for a busy 2-core machine.
"""

import json

import pytest
from playwright.sync_api import expect

from tests.helpers.widget_helpers import (
    ANSWER_TIMEOUT_MS,
    DESKTOP,
    OUTPUT,
    PHONE,
    ask,
    bot_messages,
    first_sentence,
    focused,
    open_widget,
    session_id,
    squash,
    wait_for_answer,
)
from tests.helpers.widget_servers import ROOT

# the browser first: without Chromium the tests skip before any server starts
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("browser")]
AXE = ROOT / "widget" / "node_modules" / "axe-core" / "axe.min.js"
ALLOWED_LINKS = ("http:", "https:", "tel:")


def topic_of(payload: str) -> str:
    return json.loads(payload[payload.index("{") :])["topic"]


def answer_shown(page, answers, topic: str):
    """The newest answer is the knowledge module's answer for `topic`."""
    expected = answers.reply(topic)
    newest = bot_messages(page).last
    expect(newest).to_contain_text(first_sentence(expected.long_text))
    return newest, expected


def watch_typing(page) -> None:
    page.evaluate("""() => {
        const root = document.querySelector('#pulpcare-chat').shadowRoot;
        const typing = root.querySelector('.pc-typing');
        window.__typingSeen = false;
        new MutationObserver(() => {
            if (typing.textContent.includes('typing')) window.__typingSeen = true;
        }).observe(typing, { childList: true, subtree: true });
    }""")


def has_visible_focus(element: dict) -> bool:
    return bool(element) and element["outline"] not in ("none", "") and element["outlineWidth"] >= 2


def run_axe(page) -> list:
    """axe-core from the npm registry, put into the page; serious and critical only."""
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, { resultTypes: ['violations'] })")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:4]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


# --- asking, suggestions, sources ----------------------------------------------------
def test_ask_a_question_then_click_a_suggested_one(open_page, answers):
    page = open_widget(open_page())
    greeting = answers.reply("greet")
    expect(bot_messages(page).first).to_contain_text(first_sentence(greeting.long_text))
    expect(
        page.get_by_role("group", name="Suggested questions").get_by_role("button")
    ).to_have_text([title for title, _ in greeting.buttons])

    watch_typing(page)
    ask(page, "why not just pull the tooth?")
    answer, expected = answer_shown(page, answers, "why_not_extract")
    assert page.evaluate("window.__typingSeen"), "no typing indicator while waiting"
    expect(page.locator(".pc-typing")).to_be_empty()

    # the source line sits under the answer, once, set apart from the text
    source = answer.locator(".pc-source")
    expect(source).to_have_count(1)
    assert squash(source.inner_text()) == squash(expected.source_line)
    assert source.inner_text().startswith(("Source: ", "Sources: "))
    body = " ".join(answer.locator("p:not(.pc-source)").all_inner_texts())
    assert "Source" not in body

    # suggested questions are the answer's buttons; one click asks it
    group = page.get_by_role("group", name="Suggested questions")
    expect(group.get_by_role("button")).to_have_text([title for title, _ in expected.buttons])
    title, payload = expected.buttons[0]
    before = bot_messages(page).count()
    group.get_by_role("button", name=title).click()
    wait_for_answer(page, before)
    answer_shown(page, answers, topic_of(payload))
    expect(page.locator(".pc-user p").last).to_have_text(title)  # the title, not the payload
    assert "/ask_topic" not in page.locator(".pc-log").inner_text()


# --- reload: history and context ---------------------------------------------------
def test_reload_shows_the_history_and_keeps_the_context(open_page, answers):
    page = open_widget(open_page())
    ask(page, "The dentist said my daughter needs a pulpectomy.")
    suggestions = page.get_by_role("group", name="Suggested questions").get_by_role("button")
    clicked = suggestions.first.inner_text()
    before = bot_messages(page).count()
    suggestions.first.click()
    wait_for_answer(page, before)
    conversation_id = session_id(page)
    assert conversation_id
    shown = [squash(text) for text in page.locator(".pc-log > .pc-msg").all_inner_texts()]

    page.reload()
    # the panel was open, so it opens again, with the same conversation in it
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(page.locator(".pc-log > .pc-msg")).to_have_count(len(shown), timeout=ANSWER_TIMEOUT_MS)
    assert [squash(t) for t in page.locator(".pc-log > .pc-msg").all_inner_texts()] == shown
    expect(page.locator(".pc-user p").last).to_have_text(clicked)
    assert session_id(page) == conversation_id

    # "what does that mean?" is answered for the procedure named before the reload
    ask(page, "what does that mean?")
    answer_shown(page, answers, "what_is_pulpectomy")


def test_start_over_begins_a_new_conversation(open_page, answers):
    page = open_widget(open_page())
    ask(page, "why not just pull the tooth?")
    old_id = session_id(page)
    page.get_by_role("button", name="Start over").click()
    expect(page.locator(".pc-user")).to_have_count(0)
    page.wait_for_function(
        """old => Object.entries(localStorage).some(([k, v]) =>
            k.startsWith('pulpcare-chat:') && JSON.parse(v).id !== old)""",
        arg=old_id,
    )
    assert session_id(page) not in ("", old_id)
    expect(
        page.get_by_role("group", name="Suggested questions").get_by_role("button")
    ).to_have_text([title for title, _ in answers.reply("greet").buttons])
    page.reload()
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(page.locator(".pc-log > .pc-msg")).to_have_count(1)  # the greeting only
    expect(page.get_by_role("group", name="Suggested questions")).to_be_visible()


# --- keyboard -------------------------------------------------------------------------
def test_the_whole_flow_from_the_keyboard(open_page, answers):
    page = open_page()
    for _ in range(40):
        page.keyboard.press("Tab")
        element = focused(page)
        if element and "pc-launcher" in element["cls"]:
            break
    else:
        pytest.fail("Tab never reached the chat button")
    assert has_visible_focus(element), element
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    assert focused(page)["id"] == "pc-input"
    bot_messages(page).first.wait_for()

    before = bot_messages(page).count()
    page.keyboard.type("why not just pull the tooth?")
    page.keyboard.press("Enter")
    wait_for_answer(page, before)
    answer_shown(page, answers, "why_not_extract")

    # back from the input to the suggested questions, and ask one with Enter
    page.keyboard.press("Shift+Tab")
    element = focused(page)
    assert "pc-suggestion" in element["cls"] and has_visible_focus(element), element
    topics = {
        title: topic_of(payload) for title, payload in answers.reply("why_not_extract").buttons
    }
    before = bot_messages(page).count()
    page.keyboard.press("Enter")
    wait_for_answer(page, before)
    answer_shown(page, answers, topics[element["text"]])
    assert focused(page)["id"] == "pc-input"  # ready for the next question

    # every control is reached with Tab, and each shows where the focus is
    seen = {}
    for _ in range(60):
        page.keyboard.press("Tab")
        element = focused(page)
        if element is None:
            continue
        key = element["id"] or (element["cls"].split() or [element["tag"]])[0]
        seen[key] = element
        if element["id"] == "pc-input":
            break
    for control in (
        "pc-launcher",
        "pc-lang",
        "pc-close",
        "pc-call",
        "pc-restart",
        "pc-log",
        "pc-suggestion",
        "pc-send",
    ):
        assert control in seen, f"{control} not reached with Tab: {sorted(seen)}"
        assert has_visible_focus(seen[control]), seen[control]

    # Escape closes the chat and gives the focus back to its button
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert "pc-launcher" in focused(page)["cls"]
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    assert focused(page)["id"] == "pc-input"


# --- safety ------------------------------------------------------------------------------
def test_markup_is_shown_literally_and_runs_nothing(open_page):
    page = open_widget(open_page())
    markup = "<img src=x onerror=alert(1)>"
    ask(page, markup)
    expect(page.locator(".pc-user p").last).to_have_text(markup)
    counts = page.evaluate("""() => {
        const root = document.querySelector('#pulpcare-chat').shadowRoot;
        return { img: root.querySelectorAll('img').length,
                 script: root.querySelectorAll('script').length,
                 onerror: root.querySelectorAll('[onerror]').length,
                 links: [...root.querySelectorAll('a[href]')].map(a => a.getAttribute('href')) };
    }""")
    assert counts["img"] == counts["script"] == counts["onerror"] == 0
    assert counts["links"] and all(h.startswith(ALLOWED_LINKS) for h in counts["links"])
    assert not [u for u in page.watch.urls if u.rstrip("/").endswith("/x")], (
        "the image was requested"
    )
    assert not page.watch.dialogs


# --- the server goes away and comes back ---------------------------------------------
def test_reconnecting_state_then_the_conversation_continues(open_page, servers, answers):
    page = open_widget(open_page())
    ask(page, "The dentist said my son needs a pulpotomy.")
    conversation_id = session_id(page)
    shown = page.locator(".pc-log > .pc-msg").count()
    try:
        servers.stop_rasa()
        status = page.get_by_role("alert")
        expect(status).to_contain_text("Reconnecting", timeout=ANSWER_TIMEOUT_MS)
        expect(status).to_contain_text(servers.practice["phone"])
        expect(status.get_by_role("link")).to_have_attribute(
            "href", "tel:" + servers.practice["phone_e164"]
        )
        # a question asked meanwhile waits, and goes out once the server is back
        before = bot_messages(page).count()
        box = page.get_by_label("Your question")
        box.fill("what does that mean?")
        box.press("Enter")
        expect(page.locator(".pc-user.pc-pending")).to_have_count(1)
    finally:
        servers.start_rasa()
    expect(page.locator(".pc-status")).to_be_empty(timeout=ANSWER_TIMEOUT_MS)
    wait_for_answer(page, before)
    # the same conversation, with its context: the procedure named before the restart
    answer_shown(page, answers, "what_is_pulpotomy")
    expect(page.locator(".pc-user.pc-pending")).to_have_count(0)
    assert session_id(page) == conversation_id
    expect(page.locator(".pc-log > .pc-msg")).to_have_count(shown + 2)


# --- accessibility, looks, motion --------------------------------------------------------
def test_axe_finds_no_serious_or_critical_violations(open_page, answers):
    page = open_page()
    problems = run_axe(page)
    open_widget(page)
    ask(page, "why not just pull the tooth?")
    problems += run_axe(page)
    phone = open_widget(open_page(viewport=PHONE))
    ask(phone, "will it hurt?")
    problems += run_axe(phone)
    assert not problems, "\n".join(problems)


def test_screenshots_desktop_and_phone(open_page, answers):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = open_page(viewport=viewport, reduced_motion="reduce")
        page.screenshot(path=str(OUTPUT / f"{name}-closed.png"))
        open_widget(page)
        ask(page, "why not just pull the tooth?")
        box = page.locator(".pc-panel").bounding_box()
        if name == "phone":  # under 480 px the chat takes the whole screen
            assert (box["x"], box["y"], box["width"], box["height"]) == (
                0,
                0,
                viewport["width"],
                viewport["height"],
            )
            expect(page.locator(".pc-launcher")).to_be_hidden()
        else:
            assert box["width"] < 480 and box["x"] > viewport["width"] / 2
        page.screenshot(path=str(OUTPUT / f"{name}-open.png"))
        assert (OUTPUT / f"{name}-open.png").stat().st_size > 10_000


def test_motion_respects_reduced_motion(open_page):
    for preference, animation, scrolling in (
        ("reduce", "none", "auto"),
        ("no-preference", "pc-in", "smooth"),
    ):
        page = open_widget(open_page(reduced_motion=preference))
        style = page.locator(".pc-panel").evaluate(
            "el => [getComputedStyle(el).animationName,"
            " getComputedStyle(el.querySelector('.pc-log')).scrollBehavior]"
        )
        assert style == [animation, scrolling], preference


# --- on the practice's own website ---------------------------------------------------------
EMBED = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sunny Smiles</title>
<link rel="icon" href="data:,"></head>
<body><main><h1>Sunny Smiles Pediatric Dentistry</h1><p>Welcome to our practice.</p></main>
<script src="{server}/widget/widget.js" async data-server="{server}"
  data-practice-name="Sunny Smiles Pediatric Dentistry" data-accent="#ffd54f"
  data-greeting="Hello from Sunny Smiles! Ask me about your child's pulp treatment."></script>
</body></html>
"""


def test_one_script_tag_on_the_practice_site(open_page, servers, practice_site, answers):
    (practice_site.folder / "index.html").write_text(EMBED.format(server=servers.base))
    page = open_widget(open_page(f"{practice_site.origin}/index.html"))
    expect(
        page.get_by_role("heading", name="Sunny Smiles Pediatric Dentistry", level=2)
    ).to_be_visible()
    expect(bot_messages(page).first).to_have_text(
        "Assistant: Hello from Sunny Smiles! Ask me about your child's pulp treatment."
    )
    # the phone and the first suggestions came from the server (HTTP CORS allowed)
    expect(page.get_by_role("link", name=f"Call {servers.practice['phone']}")).to_be_visible()
    title, payload = answers.reply("greet").buttons[0]
    page.get_by_role("button", name=title).click()
    wait_for_answer(page, 1)
    answer_shown(page, answers, topic_of(payload))  # Socket.IO allowed
    # a light accent: the text on it turns dark, and axe finds nothing serious
    colours = page.locator(".pc-launcher").evaluate(
        "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]"
    )
    assert colours == ["rgb(255, 213, 79)", "rgb(17, 17, 17)"]
    assert not run_axe(page)


def test_a_site_not_in_the_settings_gets_no_conversation(open_page, servers, other_site):
    (other_site.folder / "index.html").write_text(EMBED.format(server=servers.base))
    page = open_page(f"{other_site.origin}/index.html")
    page.get_by_role("button", name="Chat with us").click()
    expect(page.get_by_role("alert")).to_contain_text("Reconnecting", timeout=ANSWER_TIMEOUT_MS)
    page.get_by_label("Your question").fill("why not just pull the tooth?")
    page.get_by_label("Your question").press("Enter")
    expect(page.locator(".pc-user.pc-pending")).to_have_count(1)  # never sent
    expect(bot_messages(page)).to_have_count(1)  # the greeting only
    assert not [u for u in page.watch.urls if u.startswith("ws")]  # no socket was opened
    assert page.evaluate("() => Object.keys(localStorage).length") == 0
