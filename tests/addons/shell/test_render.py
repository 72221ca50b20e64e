"""The command-line chat's layout: whole answers, numbered suggestions, SMS costs."""

import pytest

from addons.shell import render
from addons.shell.cli import COMMANDS, Chat, Client

ANSWER = (
    "A pulpotomy removes the inflamed pulp from the crown of a baby tooth. "
    "The roots keep their living pulp.\n\nAfterwards the tooth gets a crown.\n\n"
    "Sources: NHS; Cleveland Clinic"
)


def test_an_answer_is_whole_wrapped_and_its_source_set_apart():
    messages = [
        {
            "text": ANSWER,
            "buttons": [
                {"title": "Will it hurt?", "payload": '/ask_topic{"topic":"pain"}'},
                {"title": "Care at home", "payload": '/ask_topic{"topic":"aftercare"}'},
            ],
        }
    ]
    lines, choices = render.web(messages, width=40)
    assert all(len(line) <= 40 for line in lines)
    body = " ".join(" ".join(lines).split())
    assert "removes the inflamed pulp from the crown of a baby tooth. The roots keep" in body
    assert "| Sources: NHS; Cleveland Clinic" in body
    assert lines[-2:] == ["  [1] Will it hurt?", "  [2] Care at home"]
    assert [c.payload for c in choices] == [
        '/ask_topic{"topic":"pain"}',
        '/ask_topic{"topic":"aftercare"}',
    ]
    assert "ask_topic" not in "\n".join(lines)


def test_a_word_longer_than_the_line_is_broken_not_lost():
    lines = render.wrap("x" * 90, width=30)
    assert "".join(line.strip() for line in lines) == "x" * 90


@pytest.mark.parametrize(
    "text, cost",
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("[" * 80, 1),  # extension characters count twice
        ("[" * 81, 2),
        ("\u00e1" * 70, 1),  # not GSM-7: UCS-2, 70 a segment
        ("\u00e1" * 71, 2),
    ],
)
def test_sms_segments(text, cost):
    assert render.segments(text) == cost


def test_the_sms_view_shows_each_text_with_its_cost():
    lines = render.sms(["Hello " * 30, "Reply MORE for details"], width=60)
    assert lines[0] == "  -- SMS 1 of 2: 180 characters, GSM-7, 2 segments --"
    assert "  -- SMS 2 of 2: 22 characters, GSM-7, 1 segment --" in lines
    assert lines[-1] == "  -- 3 segments in all --"
    assert render.sms([], 60) == ["  (no text would be sent)"]


def test_why_and_slots_say_what_was_understood():
    shown = render.why(
        {
            "text": "her face is swollen",
            "intent": "report_red_flag",
            "confidence": 1.0,
            "entities": [{"entity": "red_flag", "value": "urgent"}],
            "red_flags": ["swelling_face"],
        }
    )
    assert "  intent:     report_red_flag (confidence 1.00)" in shown
    assert "  entities:   red_flag=urgent" in shown
    assert "  red flag:   yes: swelling_face" in shown
    assert render.why(None) == ["  Nothing understood yet: send a message first."]
    assert render.slots({"procedure": "pulpectomy"}) == [
        "  procedure:  pulpectomy",
        "  last topic: none yet",
        "  language:   not set yet",
    ]
    spanish = render.why(
        {
            "text": "q es una pulpotomia",
            "intent": "ask_definition",
            "confidence": 0.9,
            "language": {"code": "es", "confidence": 0.97, "requested": None},
        }
    )
    assert "  language:   es (confidence 0.97)" in spanish


class Page:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def test_help_lists_the_commands_and_quit_leaves_without_sending():
    page = Page()
    chat = Chat(Client("http://127.0.0.1:9", "token", "web"), out=page, width=80)
    assert chat.handle("/help")
    assert all(name in page.text for name in COMMANDS)
    assert chat.handle("/quit") is False


def test_a_spanish_source_line_is_set_apart_too():
    lines, _ = render.web(
        [{"text": "La pulpa es el nervio.\n\nFuente: Cleveland Clinic", "buttons": []}], 80
    )
    assert lines[-1].strip() == "| Fuente: Cleveland Clinic"
