"""End to end: the real action server and Rasa server, over the REST channel."""

import uuid

import pytest

from tests.helpers.live_servers import (
    action_server,
    base_env,
    post,
    rasa_server,
    start_all,
    stop_all,
    text_of,
    wait_http,
    wait_rasa,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    logs = tmp_path_factory.mktemp("logs")
    actions = action_server(logs)
    rasa = rasa_server(
        logs,
        base_env(
            ACTION_SERVER_URL=f"http://127.0.0.1:{actions.port}/webhook",
            TRACKER_SQLITE_PATH=str(logs / "tracker.db"),
        ),
    )
    try:
        start_all(actions, rasa)
        wait_http(f"http://127.0.0.1:{actions.port}/health", actions)
        wait_rasa(rasa)
        yield rasa.base
    finally:
        stop_all(rasa, actions)


@pytest.fixture
def chat(servers):
    sender = f"parent-{uuid.uuid4().hex[:8]}"

    def say(message):
        replies = post(servers, sender, message)
        return text_of(replies), replies

    return say


def test_greeting_offers_suggested_questions(chat):
    text, replies = chat("hi")
    assert "automated assistant" in text
    assert any(r.get("buttons") for r in replies)


def test_context_follows_the_named_procedure(chat):
    text, _ = chat("the dentist said my son needs a pulpotamy, what does that mean?")
    assert "pulpotomy" in text.lower()
    text, _ = chat("will it hurt?")
    assert "a pulpotomy" in text.lower()
    text, _ = chat("and the other one?")
    assert "pulpectomy" in text.lower()
    text, _ = chat("how long is recovery?")
    assert "x-ray" in text.lower()  # the pulpectomy recovery answer


def test_button_payload_still_works(chat):
    text, _ = chat('/ask_topic{"topic":"crown"}')
    assert "crown" in text.lower()


def test_typed_internal_intent_is_read_as_text(chat):
    text, _ = chat("/report_red_flag")
    assert "911" not in text  # not the red-flag reply: the words were classified
    text, _ = chat("/ask_pain")
    assert "numb" in text.lower()  # "ask pain" read as words: the will-it-hurt answer


def test_red_flag_gets_911_or_call_now(chat):
    text, _ = chat("her cheek is really swollen and she has a fever")
    assert "(555) 010-0123" in text and "now" in text
    text, _ = chat("now he is having trouble breathing")
    assert "911" in text


def test_red_flag_inside_a_long_message_and_as_a_follow_up(chat):
    chat("what is a pulpectomy")
    long_message = (
        "so we had the pulpectomy on monday and everything seemed fine, she ate soup "
        "and watched movies, " * 8 + "but tonight there is pus on her gum, "
        "anyway what should she eat tomorrow"
    )
    text, _ = chat(long_message)
    assert "(555) 010-0123" in text and "pimple-like bump on the gum" in text


def test_a_crown_that_came_off_gets_its_own_answer_and_a_swallowed_one_with_coughing_911(chat):
    text, _ = chat("his silver crown came off at dinner, what do we do")
    assert "(555) 010-0123" in text and "crown" in text.lower() and "911" in text
    text, _ = chat("he swallowed the crown and now hes coughing a lot")
    assert text.startswith("Your child may need help fast") and "911" in text


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   ",
        "\U0001f62d\U0001f9b7\U0001f62d",
        "<script>alert(1)</script>",
        "x" * 6000,
        "word " * 1200,
        "hola, mi hijo necesita una pulpotomia, cuanto cuesta",
    ],
)
def test_bad_input_gets_a_friendly_bounded_reply(chat, message):
    text, replies = chat(message)
    assert replies, "no reply"
    assert 0 < len(text) < 1200
    assert "<script>" not in text


def test_a_spanish_conversation_end_to_end(chat):
    """Issue 13: a parent writes in Spanish and is answered in Spanish, in context,
    with the Spanish safety reply; asking for English switches the conversation."""
    text, replies = chat("hola")
    assert "asistente" in text.lower() and any(r.get("buttons") for r in replies)
    text, _ = chat("el dentista dice q mi hijo necesita una pulpotomia, q es eso?")
    assert "pulpa" in text.lower() and "Fuente" in text
    text, _ = chat("y le va a doler?")
    assert "una pulpotomía" in text  # the procedure followed, named in Spanish
    text, _ = chat("se le hincho la cara y tiene calentura")
    assert "(555) 010-0123" in text and "llame" in text.lower()
    text, _ = chat("in English please")
    assert "English" in text
    text, _ = chat("what is a pulpectomy")
    assert "pulpectomy" in text.lower() and "Source" in text
