"""The conversation's language: when it is set, when it stays, when it changes."""

import pytest

from common.language import (
    EN,
    ES,
    Detection,
    conversation_language,
    picked,
    reply_language,
    requested,
)


def found(language, confidence, words=5, mixed=False, asked=None):
    return Detection(language, confidence, words, asked, mixed)


@pytest.mark.parametrize(
    "text, language",
    [
        ("español", ES),
        ("Español por favor", ES),
        ("en espanol porfa", ES),
        ("do you speak spanish?", ES),
        ("in English please", EN),
        ("english", EN),
        ("me puede contestar en ingles?", EN),
        ("my son only speaks spanish at home and he is scared of the dentist", None),
        ("what is a pulpotomy", None),
    ],
)
def test_a_parent_can_ask_for_a_language(text, language):
    assert requested(text) == language


def test_the_first_clear_message_sets_the_language():
    assert conversation_language(None, found(ES, 0.9)) == ES
    assert conversation_language(None, found(ES, 0.6)) is None  # "hola": not yet
    assert reply_language(None, found(ES, 0.6)) == ES  # but answered in its best guess
    assert conversation_language(None, found(EN, 0.99, mixed=True)) is None


def test_a_language_stays_unless_a_message_is_clearly_in_the_other():
    assert conversation_language(ES, found(EN, 0.9)) == ES  # "ok thanks"
    assert conversation_language(ES, found(EN, 0.99, words=2)) == ES  # too short
    assert conversation_language(ES, found(EN, 0.99, mixed=True)) == ES  # Spanglish
    assert conversation_language(ES, found(EN, 0.99)) == EN
    assert conversation_language(EN, found(ES, 0.97)) == ES


def test_asking_for_a_language_switches_at_once():
    assert conversation_language(EN, found(ES, 0.6, words=1, asked=ES)) == ES
    assert conversation_language(ES, found(ES, 0.9, asked=EN)) == EN


def test_the_widget_pick_is_the_only_language_a_page_can_send():
    assert picked({"language": "es"}) == ES
    assert picked({"language": "fr"}) is None
    assert picked({"is_external": True}) is None
    assert picked(None) is None


def test_a_detection_round_trips_through_the_parsed_message():
    detection = found(ES, 0.97, words=4, mixed=True, asked=ES)
    assert Detection.from_message({"language": detection.as_dict()}) == detection
    assert Detection.from_message({"language": {"code": "fr"}}) is None
    assert Detection.from_message({}) is None
