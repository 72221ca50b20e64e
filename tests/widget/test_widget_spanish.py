"""The widget in Spanish, in Debian's Chromium against the real servers.

The parent picks Spanish with the switch in the panel's header, or the assistant
answers a Spanish question in Spanish and the interface follows; either way every
label, aria label and `lang` attribute changes, and the language is kept with the
conversation (a reload, "Start over"). The Spanish answers themselves come from the
server (the assistant detects the language); these tests check that the widget shows
them as Spanish, with `lang="es"` on their bubbles.
"""

import json
import re

import pytest
from playwright.sync_api import expect

from tests.helpers.widget_helpers import (
    ANSWER_TIMEOUT_MS,
    DESKTOP,
    PHONE,
    bot_messages,
    first_sentence,
    open_widget,
    session_id,
    squash,
    wait_for_answer,
)
from tests.helpers.widget_servers import ROOT
from tests.widget.test_widget_browser import run_axe

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("browser")]
SCREENSHOTS = ROOT / "test-output"
ES_QUESTION = "q es una pulpotomia"
PULP = re.compile(r"pulpa|nervio", re.IGNORECASE)

# What each interface shows; the switch is named in the language it switches to.
INTERFACE = {
    "es": {
        "launcher": "Chatee con nosotros",
        "subtitle": "Asistente automático",
        "restart": "Empezar de nuevo",
        "close": "Cerrar el chat",
        "log": "Conversación",
        "label": "Su pregunta",
        "placeholder": "Escriba su pregunta",
        "send": "Enviar",
        "call": "Llamar al {phone}",
        "suggestions": "Preguntas sugeridas",
        "bot": "Asistente: ",
    },
    "en": {
        "launcher": "Chat with us",
        "subtitle": "Automated assistant",
        "restart": "Start over",
        "close": "Close chat",
        "log": "Conversation",
        "label": "Your question",
        "placeholder": "Type your question",
        "send": "Send",
        "call": "Call {phone}",
        "suggestions": "Suggested questions",
        "bot": "Assistant: ",
    },
}
# the switch in each interface: its text, its `lang` and its aria-label
SWITCH = {
    "es": ("English", "en", "Switch to English"),
    "en": ("Español", "es", "Cambiar a español"),
}


def expect_interface(page, lang: str, phone: str) -> None:
    """Every label of the panel in `lang`, and `lang` on the widget's root and panel."""
    words = INTERFACE[lang]
    expect(page.locator(".pc-root")).to_have_attribute("lang", lang)
    expect(page.locator(".pc-panel")).to_have_attribute("lang", lang)
    expect(page.locator(".pc-launcher")).to_contain_text(words["launcher"])
    expect(page.locator(".pc-subtitle")).to_have_text(words["subtitle"])
    expect(page.get_by_role("button", name=words["restart"], exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=words["close"], exact=True)).to_be_visible()
    expect(page.get_by_role("log", name=words["log"], exact=True)).to_be_visible()
    box = page.get_by_label(words["label"], exact=True)
    expect(box).to_have_attribute("placeholder", words["placeholder"])
    expect(page.get_by_role("button", name=words["send"], exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=words["call"].format(phone=phone))).to_be_visible()
    text, switch_lang, label = SWITCH[lang]
    switch = page.locator(".pc-lang")
    expect(switch).to_have_text(text)
    expect(switch).to_have_attribute("lang", switch_lang)
    expect(switch).to_have_attribute("aria-label", label)
    # the screen reader's "Assistant: " before each answer, in the interface's language
    for prefix in page.locator(".pc-bot > .pc-sr").all():
        expect(prefix).to_have_text(words["bot"])
        expect(prefix).to_have_attribute("lang", lang)


def switch_language(page, to: str) -> None:
    page.get_by_role("button", name=SWITCH["en" if to == "es" else "es"][2]).click()


def ask_in(page, lang: str, text: str):
    """Types a question in the box labelled in `lang`; returns its answer's bubble."""
    before = bot_messages(page).count()
    box = page.get_by_label(INTERFACE[lang]["label"], exact=True)
    box.fill(text)
    box.press("Enter")
    return wait_for_answer(page, before)


def saved_language(page) -> str:
    stored = page.evaluate("""() => Object.entries(localStorage)
        .filter(([k]) => k.startsWith('pulpcare-chat:')).map(([, v]) => v)[0] || null""")
    return json.loads(stored).get("lang") if stored else ""


def expect_spanish_answer(answer) -> None:
    """An answer in Spanish about the pulp (the server's part), in a Spanish bubble."""
    expect(answer).to_contain_text(PULP)
    expect(answer).to_have_attribute("lang", "es")
    expect(answer.locator(".pc-source")).to_have_count(1)
    expect(answer.locator(".pc-source")).to_contain_text(re.compile(r"^Fuentes?: "))


def watch_typing(page, words: str) -> None:
    page.evaluate(
        """words => {
        const root = document.querySelector('#pulpcare-chat').shadowRoot;
        const typing = root.querySelector('.pc-typing');
        window.__typingSeen = false;
        new MutationObserver(() => {
            if (typing.textContent.includes(words)) window.__typingSeen = true;
        }).observe(typing, { childList: true, subtree: true });
    }""",
        words,
    )


def greeting_in(answers, lang: str):
    return answers.in_language(lang).reply("greet")


# --- (a) the switch: every label, the greeting, a Spanish answer, screenshots -------------
def test_switch_to_spanish_then_ask_in_spanish(open_page, servers, answers):
    phone = servers.practice["phone"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, viewport in (("widget_es", DESKTOP), ("widget_es_phone", PHONE)):
        page = open_widget(open_page(viewport=viewport, reduced_motion="reduce"))
        expect_interface(page, "en", phone)
        expect(bot_messages(page).first).to_have_attribute("lang", "en")

        switch_language(page, "es")
        expect_interface(page, "es", phone)
        # nothing was said yet: the greeting and its suggestions are now the Spanish ones
        spanish = greeting_in(answers, "es")
        expect(bot_messages(page)).to_have_count(1)
        expect(bot_messages(page).first).to_contain_text(first_sentence(spanish.long_text))
        expect(bot_messages(page).first).to_have_attribute("lang", "es")
        group = page.get_by_role("group", name="Preguntas sugeridas")
        expect(group.get_by_role("button")).to_have_text([t for t, _ in spanish.buttons])
        expect(page.locator(".pc-user")).to_have_count(0)  # no "Español" sent to no one
        assert page.locator(".pc-launcher").evaluate("el => el.closest('[lang]').lang") == "es"

        watch_typing(page, "El asistente está escribiendo")
        answer = ask_in(page, "es", ES_QUESTION)
        assert page.evaluate("window.__typingSeen"), "no Spanish typing indicator"
        expect(page.locator(".pc-user p").last).to_have_text(ES_QUESTION)
        expect_spanish_answer(answer)
        expect_interface(page, "es", phone)
        assert saved_language(page) == "es"

        # the header's controls fit side by side, also on a phone
        boxes = {
            cls: page.locator(cls).bounding_box()
            for cls in (".pc-title", ".pc-lang", ".pc-close", ".pc-restart", ".pc-call")
        }
        panel = page.locator(".pc-panel").bounding_box()
        for cls, box in boxes.items():
            right = panel["x"] + panel["width"]
            assert panel["x"] <= box["x"] and box["x"] + box["width"] <= right, cls
            assert box["height"] > 0, cls
        assert boxes[".pc-lang"]["x"] + boxes[".pc-lang"]["width"] <= boxes[".pc-close"]["x"]
        assert boxes[".pc-lang"]["height"] >= 44 and boxes[".pc-lang"]["width"] >= 44
        # the longer Spanish labels still fit one row, as the English ones do
        assert boxes[".pc-call"]["y"] == boxes[".pc-restart"]["y"]

        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000


# --- (b) accessibility in Spanish ---------------------------------------------------------
def test_axe_finds_nothing_serious_in_spanish(open_page):
    page = open_widget(open_page())
    switch_language(page, "es")
    expect(page.locator(".pc-root")).to_have_attribute("lang", "es")
    problems = run_axe(page)
    ask_in(page, "es", ES_QUESTION)
    problems += run_axe(page)
    phone = open_widget(open_page(viewport=PHONE))
    switch_language(phone, "es")
    ask_in(phone, "es", "¿Le va a doler a mi hijo?")
    problems += run_axe(phone)
    assert not problems, "\n".join(problems)


# --- (c) a Spanish question switches the interface by itself ------------------------------
def test_a_spanish_question_switches_the_interface(open_page, servers):
    page = open_widget(open_page())
    expect_interface(page, "en", servers.practice["phone"])
    answer = ask_in(page, "en", "¿Qué es una pulpotomía? El dentista dijo que mi hijo la necesita.")
    expect_spanish_answer(answer)
    expect_interface(page, "es", servers.practice["phone"])
    assert saved_language(page) == "es"
    # the English greeting stays English (lang="en"), under the Spanish interface
    expect(bot_messages(page).first).to_have_attribute("lang", "en")
    expect(page.locator(".pc-user").first).not_to_have_attribute("lang", "en")


# --- (d) a reload and "Start over" keep the language --------------------------------------
def test_reload_keeps_spanish_and_the_history_and_start_over_keeps_spanish(
    open_page, servers, answers
):
    phone = servers.practice["phone"]
    page = open_widget(open_page())
    switch_language(page, "es")
    answer = ask_in(page, "es", ES_QUESTION)
    expect_spanish_answer(answer)
    conversation_id = session_id(page)
    shown = [squash(text) for text in page.locator(".pc-log > .pc-msg").all_inner_texts()]
    langs = [m.get_attribute("lang") for m in bot_messages(page).all()]
    assert langs[0] == "es" and langs[-1] == "es"

    page.reload()
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(page.locator(".pc-log > .pc-msg")).to_have_count(len(shown), timeout=ANSWER_TIMEOUT_MS)
    expect_interface(page, "es", phone)
    assert [squash(t) for t in page.locator(".pc-log > .pc-msg").all_inner_texts()] == shown
    # the greeting (the widget's) and the answers (lang from the server's history)
    assert [m.get_attribute("lang") for m in bot_messages(page).all()] == langs
    assert session_id(page) == conversation_id

    # "Start over": a new conversation, still in Spanish, also after a reload
    page.get_by_role("button", name="Empezar de nuevo").click()
    expect(page.locator(".pc-user")).to_have_count(0)
    page.wait_for_function(
        """old => Object.entries(localStorage).some(([k, v]) =>
            k.startsWith('pulpcare-chat:') && JSON.parse(v).id && JSON.parse(v).id !== old)""",
        arg=conversation_id,
    )
    spanish = greeting_in(answers, "es")
    expect_interface(page, "es", phone)
    expect(bot_messages(page)).to_have_count(1)
    expect(bot_messages(page).first).to_contain_text(first_sentence(spanish.long_text))
    assert saved_language(page) == "es"
    page.reload()
    expect(page.get_by_role("dialog")).to_be_visible()
    expect_interface(page, "es", phone)
    expect(bot_messages(page)).to_have_count(1)
    expect(bot_messages(page).first).to_have_attribute("lang", "es")


# --- (e) back to English ------------------------------------------------------------------
def test_switching_back_to_english(open_page, servers, answers):
    phone = servers.practice["phone"]
    page = open_widget(open_page())
    switch_language(page, "es")
    expect_spanish_answer(ask_in(page, "es", ES_QUESTION))

    # in a conversation the switch also tells the assistant, which confirms in English
    before = bot_messages(page).count()
    switch_language(page, "en")
    expect_interface(page, "en", phone)
    said = page.locator(".pc-user").last
    expect(said.locator("p")).to_have_text("English")
    expect(said).to_have_attribute("lang", "en")
    confirmation = wait_for_answer(page, before)
    expect(confirmation).to_have_attribute("lang", "en")
    expect_interface(page, "en", phone)
    assert saved_language(page) == "en"

    # the next answer is in English; the Spanish one above keeps lang="es"
    answer = ask_in(page, "en", "why not just pull the tooth?")
    expect(answer).to_contain_text(first_sentence(answers.reply("why_not_extract").long_text))
    expect_interface(page, "en", phone)
    expect(bot_messages(page).nth(1)).to_have_attribute("lang", "es")
    page.reload()
    expect(page.get_by_role("dialog")).to_be_visible()
    expect_interface(page, "en", phone)


# --- the page's language ------------------------------------------------------------------
PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>Sonrisas</title>
<link rel="icon" href="data:,"></head>
<body><main><h1>Sonrisas Pediatric Dentistry</h1></main>
<script src="{server}/widget/widget.js" async data-server="{server}" {extra}></script>
</body></html>
"""


def test_a_spanish_page_starts_in_spanish_unless_the_tag_says_otherwise(
    open_page, servers, practice_site, answers
):
    for name, lang, extra, expected in (
        ("es.html", "es-US", "", "es"),
        ("en-tag.html", "es", 'data-lang="en"', "en"),
        ("es-tag.html", "en", 'data-lang="es"', "es"),
    ):
        (practice_site.folder / name).write_text(
            PAGE.format(lang=lang, server=servers.base, extra=extra)
        )
        page = open_page(f"{practice_site.origin}/{name}")
        page.get_by_role("button", name=INTERFACE[expected]["launcher"]).click()
        expect(bot_messages(page).first).to_contain_text(
            first_sentence(greeting_in(answers, expected).long_text)
        )
        expect_interface(page, expected, servers.practice["phone"])
        assert page.evaluate("() => Object.keys(localStorage).length") <= 1


def test_reconnecting_in_spanish_then_in_english(open_page, servers, other_site):
    """On a site the settings do not allow, the widget never connects: the
    "Reconnecting" line, in the page's language, follows the switch."""
    (other_site.folder / "es.html").write_text(
        PAGE.format(lang="es", server=servers.base, extra="")
    )
    page = open_page(f"{other_site.origin}/es.html")
    page.get_by_role("button", name="Chatee con nosotros").click()
    status = page.get_by_role("alert")
    expect(status).to_have_text(
        "Reconectando\u2026 Si necesita ayuda ahora, por favor llame a la oficina del dentista.",
        timeout=ANSWER_TIMEOUT_MS,
    )
    switch_language(page, "en")
    expect(status).to_have_text(
        "Reconnecting\u2026 If you need help now, please call the practice."
    )
    expect(page.get_by_label("Your question")).to_have_attribute(
        "placeholder", "Type your question"
    )
    # no conversation, so nothing is kept (not even the language)
    assert page.evaluate("() => Object.keys(localStorage).length") == 0


def test_a_parent_who_picked_spanish_keeps_it_for_a_short_first_message(open_page, servers):
    page = open_widget(open_page())
    switch_language(page, "es")
    answer = ask_in(page, "es", "ok")
    expect(answer).to_have_attribute("lang", "es")
    expect_interface(page, "es", servers.practice["phone"])
