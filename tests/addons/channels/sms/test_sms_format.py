"""SMS text rules: plain GSM-7, at most 320 characters, at most 3 ordered parts."""

import pytest

from addons.channels.sms import format as sms
from addons.channels.sms.store import SmsStore


def test_curly_quotes_dashes_and_emoji_become_gsm7():
    text = sms.to_sms_text(
        "It\u2019s \u201cfine\u201d \u2014 really\u2026 \U0001f9b7\U0001f600 ok\u00a0now"
    )
    assert text == 'It\'s "fine" - really... ok now'
    assert sms.is_gsm7(text)


def test_accents_outside_gsm7_are_dropped_but_gsm7_letters_kept():
    assert (
        sms.to_sms_text("caf\u00e9 gar\u00e7on na\u00efve \u00c5se")
        == "caf\u00e9 garcon naive \u00c5se"
    )


def test_markdown_markup_payloads_and_source_lines_are_removed():
    text = sms.to_sms_text(
        "## Title\n**Soft** foods, _please_. See [our page](https://example.com/a_b).\n"
        '<b>Bold</b> /ask_topic{"topic":"crown"} and /greet.\n\n'
        'Sources: Cleveland Clinic, "Pulpotomy vs. Pulpectomy"'
    )
    assert "Source" not in text and "/ask_topic" not in text and "/greet" not in text
    assert "**" not in text and "<b>" not in text and "##" not in text
    assert "our page (https://example.com/a_b)" in text
    assert text.startswith("Title Soft foods, please. See our page")
    assert text.endswith("Bold and.")


def test_short_text_is_one_message():
    assert sms.split_sms("Call us at (555) 010-0123.") == ["Call us at (555) 010-0123."]
    assert sms.split_sms("   ") == []


def test_long_text_is_split_at_sentences_into_at_most_three_numbered_parts():
    sentences = [
        f"Sentence number {i} tells you one more thing about the tooth." for i in range(30)
    ]
    parts = sms.split_sms(" ".join(sentences))
    assert len(parts) == 3
    assert [p[:5] for p in parts] == ["(1/3)", "(2/3)", "(3/3)"]
    assert all(len(p) <= 320 for p in parts)
    assert parts[0].endswith("tooth.")  # cut between sentences
    assert parts[-1].endswith("...")  # the rest is cut, never a 4th message


def test_a_medium_text_fits_in_two_parts_and_keeps_every_word_in_order():
    words = [f"w{i}." for i in range(120)]
    parts = sms.split_sms(" ".join(words))
    assert len(parts) == 2
    rejoined = " ".join(p.split(") ", 1)[1] for p in parts).split()
    assert rejoined == words


def test_a_single_huge_word_is_cut_not_dropped():
    parts = sms.split_sms("x" * 700)
    assert all(len(p) <= 320 for p in parts) and len(parts) <= 3


def test_buttons_become_numbered_choices_without_payloads():
    line = sms.choices_line(["What is a pulpotomy?", "Pulpotomy vs. pulpectomy"], more=True)
    assert (
        line
        == "Reply MORE for details, 1 for what is a pulpotomy or 2 for pulpotomy vs. pulpectomy."
    )
    assert sms.choices_line([]) == ""
    assert sms.choices_line(["Crown"]) == "Reply 1 for crown."


@pytest.mark.parametrize(
    "body,expected",
    [
        ("STOP", "STOP"),
        ("stop", "STOP"),
        (" Stop. ", "STOP"),
        ("STOPALL", "STOP"),
        ("Unsubscribe", "STOP"),
        ("cancel", "STOP"),
        ("END", "STOP"),
        ("quit", "STOP"),
        ("START", "START"),
        ("unstop", "START"),
        ("HELP", "HELP"),
        ("help!", "HELP"),
        ("MORE", "MORE"),
        ("more", "MORE"),
        ("please stop the pain", None),
        ("help me understand", None),
        ("", None),
        (None, None),
    ],
)
def test_keywords_are_whole_messages_only(body, expected):
    assert sms.keyword(body) == expected


@pytest.mark.parametrize(
    "body,expected",
    [
        ("1", 1),
        (" 2 ", 2),
        ("3.", 3),
        ("#2", 2),
        ("12", 12),
        ("1 or 2", None),
        ("one", None),
    ],
)
def test_choice_numbers(body, expected):
    assert sms.choice_number(body) == expected


def test_opt_out_choices_and_seen_messages_survive_a_restart(tmp_path):
    path = f"sqlite:///{tmp_path / 'state' / 'sms.sqlite3'}"
    store = SmsStore(path)
    assert store.opt_out("+15550000001", "STOP") is True
    assert store.opt_out("+15550000001", "STOP") is False  # already recorded
    store.set_choices("+15550000002", ["/a", "/b"])
    assert store.first_time_seen("SM1") is True
    store.close()

    again = SmsStore(path)  # a restart
    assert again.is_opted_out("+15550000001")
    assert not again.is_opted_out("+15550000002")
    assert again.choice("+15550000002", 2) == "/b"
    assert again.choice("+15550000002", 3) is None
    assert again.choice("+15550000003", 1) is None
    assert again.first_time_seen("SM1") is False
    assert again.opt_in("+15550000001") is True
    assert not again.is_opted_out("+15550000001")
    assert again.opt_in("+15550000001") is False


def test_state_file_comes_from_the_environment(tmp_path, monkeypatch):
    from addons.channels.sms.store import DEFAULT_STATE_FILE, state_file_from_env

    monkeypatch.delenv("SMS_STATE_FILE", raising=False)
    assert state_file_from_env() == DEFAULT_STATE_FILE
    assert DEFAULT_STATE_FILE.parent.name == "var"
    monkeypatch.setenv("SMS_STATE_FILE", str(tmp_path / "x.db"))
    assert state_file_from_env() == tmp_path / "x.db"


def test_spanish_choices_are_offered_in_spanish_and_gsm7():
    line = sms.choices_line(["¿Le va a doler?", "Pasos de una pulpotomía"], True, "es")
    assert (
        line == "Responda MAS para ver mas, 1 para le va a doler o 2 para pasos de una pulpotomia."
    )
    assert sms.is_gsm7(line)


@pytest.mark.parametrize(
    "body, word",
    [
        ("PARAR", "STOP"),
        ("parar", "STOP"),
        ("Alto", "STOP"),
        ("BAJA", "STOP"),
        ("cancelar", "STOP"),
        ("no más", "STOP"),
        ("AYUDA", "HELP"),
        ("ayuda!", "HELP"),
        ("Más", "MORE"),
        ("mas", "MORE"),
        ("COMENZAR", "START"),
        ("para que sirve la corona", None),
        ("ayuda con la pulpotomia", None),
    ],
)
def test_spanish_keywords_work_like_the_english_ones(body, word):
    assert sms.keyword(body) == word
    assert sms.keyword_language(body) == ("es" if word else None)
