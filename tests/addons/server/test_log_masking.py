"""Phone numbers, sender ids and secrets are masked in every log line."""

import logging

import pytest

from addons.server import logging_filters as lf


@pytest.mark.parametrize(
    "line, secret",
    [
        ("Starting a new session for conversation ID 'parent-7f3a'.", "parent-7f3a"),
        ("Acquired lock for conversation '+15550104477'.", "+15550104477"),
        ("Recreating tracker from sender id 'abc-123'", "abc-123"),
        ("Tracker with sender_id 'abc-123' stored to database", "abc-123"),
        ('{"event": "x", "sender_id": "abc-123", "text": "hi"}', "abc-123"),
        ("event=rest.message sender_id=abc-123 text=hi", "abc-123"),
        ("Created a new lock for conversation ID 5550104477.", "5550104477"),
        (
            "POST /conversations/%2B15550104477/trigger_intent?token=s3cret-token HTTP/1.1",
            "15550104477",
        ),
        (
            "POST /conversations/%2B15550104477/trigger_intent?token=s3cret-token HTTP/1.1",
            "s3cret-token",
        ),
        ("From=%2B15550104477&To=%2B15550100123&Body=hello", "15550104477"),
        ("call me back on (555) 010-4477 please", "010-4477"),
        ("my cell is 555-010-4477", "555-010-4477"),
        ("whatsapp:+447700900123 wrote", "447700900123"),
        ("Authorization: Bearer eyJhbGciOi.J9.abc", "eyJhbGciOi"),
    ],
)
def test_masks(line, secret):
    masked = lf.mask(line)
    assert secret not in masked
    assert masked != line


@pytest.mark.parametrize(
    "line",
    [
        "Rasa server is up and running.",
        "the sender is unknown",
        "took 1732212345.123 s at 2026-11-21 19:51:43",
        "Loading model models/pulpcare.tar.gz...",
    ],
)
def test_leaves_ordinary_lines_alone(line):
    assert lf.mask(line) == line


def test_the_same_id_gets_the_same_pseudonym_and_phones_keep_two_digits():
    assert lf.mask("sender 'abc'") == lf.mask("sender 'abc'")
    assert lf.mask("sender 'abc'") != lf.mask("sender 'abd'")
    assert lf.mask("+15550104477") == "+***-**77"


def test_installed_factory_masks_every_record_and_its_traceback(caplog):
    lf.install()
    try:
        logger = logging.getLogger("rasa.core.lock_store")
        with caplog.at_level(logging.DEBUG):
            logger.debug("Acquired lock for conversation '%s'.", "+15550104477")
            try:
                raise ValueError("bad number +15550104477")
            except ValueError:
                logging.getLogger("sanic.error").exception("failed for sender_id '%s'", "abc-123")
        text = caplog.text
        assert "15550104477" not in text and "abc-123" not in text
        assert "Acquired lock for conversation 'id#" in text
        assert "ValueError: bad number +***-**77" in text
    finally:
        lf.uninstall()
