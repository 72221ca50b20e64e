"""Bad input is recognised before the classifier reads it."""

import pytest

from addons.nlu import input_checks as ic


@pytest.mark.parametrize("text", ["", "   ", "\n\t", None])
def test_empty(text):
    assert ic.inspect(text).issue == ic.EMPTY


@pytest.mark.parametrize("text", ["\U0001f62d\U0001f62d\U0001f9b7", "???", "!!! ...", "123"])
def test_no_words(text):
    assert ic.inspect(text).issue == ic.NO_WORDS


def test_markup_is_stripped_and_the_question_kept():
    result = ic.inspect("<b>what is a pulpotomy</b><script>alert(1)</script>")
    assert result.text == "what is a pulpotomy"
    assert result.issue is None and result.markup_removed


def test_markup_only():
    assert ic.inspect("<img src=x onerror=alert(1)>").issue == ic.MARKUP_ONLY


def test_very_long_message_is_capped():
    result = ic.inspect("my son " * 3000)
    assert result.issue == ic.TOO_LONG
    assert len(result.text) <= ic.HARD_CAP_CHARS


@pytest.mark.parametrize(
    "text",
    [
        "bonjour, est-ce que mon fils a besoin d'une pulpotomie",
        "我的孩子需要做根管治疗吗",
        "meu filho precisa de uma pulpotomia, está com dor",
    ],
)
def test_other_languages(text):
    assert ic.inspect(text).issue == ic.OTHER_LANGUAGE


@pytest.mark.parametrize(
    "text",
    [
        "my 4 yo needs a pulpotamy will it hurt",
        "u think its ok if dd eats pizza tonight after the baby root canal",
        "que? what does that mean",
        "pulpotomy vs pulpectomy",
    ],
)
def test_english_with_typos_and_shorthand_is_fine(text):
    assert ic.inspect(text).issue is None


@pytest.mark.parametrize(
    "text",
    [
        "hola, mi hijo tiene dolor de muela y la cara hinchada",
        "hablo con el dentista o con un programa",
        "le van a matar el nervio a mi hija, esta bien eso?",
        "mi hijo needs a pulpotomy?",
    ],
)
def test_spanish_and_spanglish_are_answered_not_refused(text):
    assert ic.inspect(text).issue is None


def test_typed_intent_payload_is_read_as_words():
    assert ic.inspect("/greet", ["ask_topic"]).text == "greet"
    assert not ic.inspect('/EXTERNAL_followup{"procedure":"x"}', ["ask_topic"]).text.startswith("/")


def test_our_button_payload_is_kept():
    payload = '/ask_topic{"topic":"crown"}'
    assert ic.inspect(payload, ["ask_topic"]).text == payload
