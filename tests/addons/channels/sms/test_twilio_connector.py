"""The Twilio connector in-process: its webhook handler with a stand-in for Rasa,
sending through the official Twilio client to the fake REST API on loopback."""

import asyncio
import time

import pytest

from addons.channels.sms import connector as twilio_sms
from addons.channels.sms.connector import TwilioSettings, TwilioSmsInput
from addons.channels.sms.store import SmsStore
from common.paths import PROJECT_ROOT
from tests.helpers.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_URL,
    TWILIO_NUMBER,
    encode,
    sign,
    twilio_form,
)

ROOT = PROJECT_ROOT
SERVER_URL = "http://10.0.0.7:5005/webhooks/twilio/webhook"  # what the server sees behind a proxy


class FakeRequest:
    def __init__(self, form=None, signature=None, url=SERVER_URL, body=None):
        self.body = body if body is not None else encode(form or {})
        self.headers = {} if signature is None else {"X-Twilio-Signature": signature}
        self.url = url


class Rasa:
    """Stands in for Rasa: records messages and answers each with text and buttons."""

    def __init__(self, delay=0.0):
        self.messages = []
        self.delay = delay

    async def __call__(self, message):
        self.messages.append(message)
        await asyncio.sleep(self.delay)
        await message.output_channel.send_response(
            message.sender_id,
            {
                "text": f"You said: {message.text}",
                "buttons": [
                    {"title": "Why a crown?", "payload": '/ask_topic{"topic":"crown"}'},
                    {"title": "Will it hurt?", "payload": '/ask_topic{"topic":"pain"}'},
                ],
            },
        )


def settings(fake, tmp_path, **overrides):
    values = dict(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        number=TWILIO_NUMBER,
        webhook_url=PUBLIC_URL,
        api_url=fake.url,
        state_file=str(tmp_path / "sms.sqlite3"),
    )
    values.update(overrides)
    return TwilioSettings(**values)


TEXTS = twilio_sms._load_texts()  # the channel's own texts, loaded once


def make(channel_settings):
    return TwilioSmsInput(channel_settings, texts=TEXTS)


def handlers(channel, rasa):
    blueprint = channel.blueprint(rasa)
    return {route.uri: route.handler for route in blueprint._future_routes}


async def post(channel, rasa, request):
    started = time.perf_counter()
    response = await handlers(channel, rasa)["/webhook"](request)
    elapsed = time.perf_counter() - started
    await asyncio.gather(*list(channel._tasks))  # let the background work finish
    return response, elapsed


def signed(form, url=PUBLIC_URL):
    return FakeRequest(form, sign(form, url))


# --- settings ---------------------------------------------------------------------
def test_settings_come_from_the_environment_unless_credentials_give_them():
    env = {
        "TWILIO_ACCOUNT_SID": "ACenv",
        "TWILIO_AUTH_TOKEN": "tok",
        "TWILIO_NUMBER": "+1555",
        "TWILIO_WEBHOOK_URL": "https://x/webhooks/twilio/webhook",
    }
    loaded = TwilioSettings.load(None, env)
    assert (loaded.account_sid, loaded.number, loaded.api_url) == (
        "ACenv",
        "+1555",
        "https://api.twilio.com",
    )
    assert loaded.configured
    assert TwilioSettings.load({"account_sid": "ACcred"}, env).account_sid == "ACcred"
    service = TwilioSettings.load(
        None,
        {
            "TWILIO_ACCOUNT_SID": "AC",
            "TWILIO_AUTH_TOKEN": "t",
            "TWILIO_MESSAGING_SERVICE_SID": "MG1",
        },
    )
    assert service.configured
    assert TwilioSettings.load(None, {}).missing() == [
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_NUMBER or TWILIO_MESSAGING_SERVICE_SID",
    ]


def test_credentials_register_the_channel_and_load_with_no_twilio_environment(monkeypatch):
    from rasa.shared.utils.io import read_config_file

    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_NUMBER", "TWILIO_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    # Rasa's own reader fails on a ${VAR} whose variable is unset; this must load.
    credentials = read_config_file(str(ROOT / "credentials.yml"))
    assert "addons.channels.sms.connector.TwilioSmsInput" in credentials
    assert TwilioSmsInput.name() == "twilio"
    assert not TwilioSmsInput.from_credentials(
        credentials["addons.channels.sms.connector.TwilioSmsInput"]
    ).settings.configured


def test_unconfigured_channel_refuses_webhooks_and_sends_nothing():
    channel = TwilioSmsInput(TwilioSettings())
    rasa = Rasa()
    assert channel.get_output_channel() is None  # Rasa then collects instead of texting
    form = twilio_form("+15550000001", "hi")
    response, _ = asyncio.run(post(channel, rasa, signed(form)))
    assert response.status == 503 and not rasa.messages
    health = asyncio.run(handlers(channel, rasa)["/"](FakeRequest()))
    assert b'"configured":false' in health.body


# --- signatures -------------------------------------------------------------------
@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "bm90IGEgc2lnbmF0dXJl",
        sign(twilio_form("+15550000001", "hello"), token="another-accounts-token"),
    ],
)
def test_missing_or_wrong_signature_gets_403_and_nothing_happens(fake_twilio, tmp_path, signature):
    channel, rasa = make(settings(fake_twilio, tmp_path)), Rasa()
    form = twilio_form("+15550000001", "hello")
    response, _ = asyncio.run(post(channel, rasa, FakeRequest(form, signature)))
    assert response.status == 403
    assert not rasa.messages and not fake_twilio.messages


def test_a_tampered_body_fails_the_signature(fake_twilio, tmp_path):
    channel, rasa = make(settings(fake_twilio, tmp_path)), Rasa()
    form = twilio_form("+15550000001", "hello")
    signature = sign(form)
    form["Body"] = "STOP"
    response, _ = asyncio.run(post(channel, rasa, FakeRequest(form, signature)))
    assert response.status == 403 and not fake_twilio.messages


def test_signature_is_checked_on_the_public_address_behind_a_proxy(fake_twilio, tmp_path):
    channel, rasa = make(settings(fake_twilio, tmp_path)), Rasa()
    form = twilio_form("+15550000001", "hello")
    # Signed for the address the server sees, not the public one Twilio uses: refused.
    response, _ = asyncio.run(post(channel, rasa, FakeRequest(form, sign(form, SERVER_URL))))
    assert response.status == 403
    response, _ = asyncio.run(post(channel, rasa, FakeRequest(form, sign(form, PUBLIC_URL))))
    assert response.status == 200 and len(rasa.messages) == 1


def test_without_a_public_address_the_request_address_is_used(fake_twilio, tmp_path):
    channel = make(settings(fake_twilio, tmp_path, webhook_url=""))
    rasa = Rasa()
    form = twilio_form("+15550000001", "hello")
    response, _ = asyncio.run(post(channel, rasa, FakeRequest(form, sign(form, SERVER_URL))))
    assert response.status == 200 and len(rasa.messages) == 1


# --- acknowledgement and retries --------------------------------------------------
def test_webhook_is_acknowledged_at_once_with_empty_twiml(fake_twilio, tmp_path):
    channel, rasa = make(settings(fake_twilio, tmp_path)), Rasa(delay=1.5)
    fake_twilio.delay = 0.5
    form = twilio_form("+15550000001", "what is a pulpotomy")

    async def scenario():
        started = time.perf_counter()
        response = await handlers(channel, rasa)["/webhook"](signed(form))
        acked = time.perf_counter() - started
        await asyncio.gather(*list(channel._tasks))
        return response, acked, time.perf_counter() - started

    response, acked, done = asyncio.run(scenario())
    assert response.status == 200
    assert response.content_type.startswith("text/xml")
    assert response.body.decode() == '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
    assert acked < 0.5 and done > 1.5  # the turn ran after the acknowledgement
    assert fake_twilio.to("+15550000001")


def test_twilio_calls_do_not_block_the_event_loop(fake_twilio, tmp_path):
    channel = make(settings(fake_twilio, tmp_path))
    fake_twilio.delay = 0.6

    async def scenario():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        await channel.get_output_channel().send_text_message("sms:+15550000001", "Hello there.")
        task.cancel()
        return ticks

    assert asyncio.run(scenario()) >= 20  # the loop kept running during the send
    assert fake_twilio.to("+15550000001") == ["Hello there."]


def test_a_retried_message_sid_is_processed_once_even_after_a_restart(fake_twilio, tmp_path):
    channel, rasa = make(settings(fake_twilio, tmp_path)), Rasa()
    form = twilio_form("+15550000001", "hello", sid="SM" + "a" * 32)

    async def twice():
        first = await handlers(channel, rasa)["/webhook"](signed(form))
        second = await handlers(channel, rasa)["/webhook"](signed(form))
        await asyncio.gather(*list(channel._tasks))
        return first, second

    first, second = asyncio.run(twice())
    assert first.status == second.status == 200
    assert len(rasa.messages) == 1 and len(fake_twilio.to("+15550000001")) == 1
    restarted = make(settings(fake_twilio, tmp_path))
    asyncio.run(post(restarted, rasa, signed(form)))
    assert len(rasa.messages) == 1


def test_messages_from_one_number_are_handled_in_order(fake_twilio, tmp_path):
    channel, rasa = make(settings(fake_twilio, tmp_path)), Rasa(delay=0.05)

    async def burst():
        for text in ("first", "second", "third"):
            await handlers(channel, rasa)["/webhook"](signed(twilio_form("+15550000001", text)))
        await asyncio.gather(*list(channel._tasks))

    asyncio.run(burst())
    assert [m.text for m in rasa.messages] == ["first", "second", "third"]
    bodies = fake_twilio.to("+15550000001")
    assert [b.split("\n")[0] for b in bodies] == [
        f"You said: {t}" for t in ("first", "second", "third")
    ]


# --- what reaches Rasa -------------------------------------------------------------
def test_a_message_reaches_rasa_as_the_twilio_channel_in_the_phones_sms_conversation(
    fake_twilio, tmp_path
):
    channel, rasa = make(settings(fake_twilio, tmp_path)), Rasa()
    form = twilio_form("+15550000001", "Is it safe?")
    asyncio.run(post(channel, rasa, signed(form)))
    [message] = rasa.messages
    assert (message.text, message.sender_id, message.input_channel, message.message_id) == (
        "Is it safe?",
        "sms:+15550000001",  # the id carries its channel: no other door reaches it
        "twilio",
        form["MessageSid"],
    )


def test_numbers_map_to_the_last_choices_and_more_to_the_longer_answer(fake_twilio, tmp_path):
    channel, rasa = make(settings(fake_twilio, tmp_path)), Rasa()
    phone = "+15550000001"
    for body in ("hello", "2", "7", "MORE"):
        asyncio.run(post(channel, rasa, signed(twilio_form(phone, body))))
    assert [m.text for m in rasa.messages] == [
        "hello",
        '/ask_topic{"topic":"pain"}',
        "7",
        "/ask_topic",
    ]
    # another number has no choices: its "1" stays text
    asyncio.run(post(channel, rasa, signed(twilio_form("+15550000002", "1"))))
    assert rasa.messages[-1].text == "1"


def test_stop_start_help_empty_and_photo_are_answered_by_the_channel(fake_twilio, tmp_path):
    channel, rasa = make(settings(fake_twilio, tmp_path)), Rasa()
    texts = channel.sender.texts
    phone = "+15550000001"

    def text(body, media=0):
        asyncio.run(post(channel, rasa, signed(twilio_form(phone, body, media=media))))

    text("HELP")
    assert fake_twilio.to(phone) == [texts["help"]]
    assert "Reply STOP to opt out" in texts["help"] and "(555) 010-0123" in texts["help"]
    text("")
    text("", media=1)
    assert fake_twilio.to(phone)[1:] == [texts["empty"], texts["photo"]]
    text("STOP")
    text("stop")  # a second STOP: no second confirmation
    text("what is a pulpotomy")  # opted out: not even passed to Rasa
    text("HELP")
    assert fake_twilio.to(phone)[3:] == [texts["stop"]]
    assert not rasa.messages
    assert SmsStore().is_opted_out(phone)  # in the tracker database (conftest: this test's)
    text("START")
    text("hello again")
    assert fake_twilio.to(phone)[4] == texts["start"]
    assert [m.text for m in rasa.messages] == ["hello again"]


# --- what goes out ----------------------------------------------------------------
def test_replies_are_plain_gsm7_sized_numbered_and_never_show_payloads(fake_twilio, tmp_path):
    channel = make(settings(fake_twilio, tmp_path))
    out = channel.get_output_channel()
    long_text = (
        "**Numbness** lasts about 2 to 3 hours \U0001f9b7. " + "Offer soft foods today. " * 30
    )
    asyncio.run(
        out.send_response(
            "sms:+15550000001",
            {
                "text": long_text,
                "custom": {"sms": {"more": True}},
                "buttons": [{"title": "Why a crown?", "payload": '/ask_topic{"topic":"crown"}'}],
            },
        )
    )
    bodies = fake_twilio.to("+15550000001")
    assert 2 <= len(bodies) <= 4
    assert [b[:5] for b in bodies[:3]] == ["(1/3)", "(2/3)", "(3/3)"]
    assert bodies[-1].endswith("Reply MORE for details or 1 for why a crown.")
    for body in bodies:
        assert len(body) <= 320 and twilio_sms.sms_format.is_gsm7(body)
        assert "/ask_topic" not in body and "**" not in body


def test_choices_already_in_the_text_are_not_repeated(fake_twilio, tmp_path):
    channel = make(settings(fake_twilio, tmp_path))
    asyncio.run(
        channel.get_output_channel().send_response(
            "sms:+15550000001",
            {
                "text": "How is your child? Reply 1 doing well, 2 sore.",
                "custom": {"sms": {"choices_in_text": True}},
                "buttons": [
                    {"title": "Doing well", "payload": "/a"},
                    {"title": "Sore", "payload": "/b"},
                ],
            },
        )
    )
    assert fake_twilio.to("+15550000001") == ["How is your child? Reply 1 doing well, 2 sore."]
    assert channel.sender.store.choice("+15550000001", 2) == "/b"


def test_nothing_is_sent_to_a_number_that_opted_out(fake_twilio, tmp_path):
    channel = make(settings(fake_twilio, tmp_path))
    channel.sender.store.opt_out("+15550000001")
    asyncio.run(channel.get_output_channel().send_response("+15550000001", {"text": "Check-in"}))
    assert fake_twilio.requests == 0


def test_twilio_unsubscribed_error_is_recorded_as_an_opt_out(fake_twilio, tmp_path):
    channel = make(settings(fake_twilio, tmp_path))
    fake_twilio.fail_next("+15550000001", 400, 21610)
    asyncio.run(channel.get_output_channel().send_text_message("sms:+15550000001", "Hi."))
    assert channel.sender.store.is_opted_out("+15550000001")
    assert fake_twilio.requests == 1


def test_a_twilio_server_error_is_retried(fake_twilio, tmp_path):
    channel = make(settings(fake_twilio, tmp_path))
    fake_twilio.fail_next("+15550000001", 503, 20500)
    asyncio.run(channel.get_output_channel().send_text_message("sms:+15550000001", "Hi."))
    assert fake_twilio.to("+15550000001") == ["Hi."] and fake_twilio.requests == 2


def test_a_messaging_service_is_used_when_configured(fake_twilio, tmp_path):
    channel = make(
        settings(fake_twilio, tmp_path, number="", messaging_service_sid="MG" + "1" * 32)
    )
    asyncio.run(channel.get_output_channel().send_text_message("sms:+15550000001", "Hi."))
    [message] = fake_twilio.messages
    assert message["MessagingServiceSid"] == "MG" + "1" * 32 and "From" not in message


class SilentRasa(Rasa):
    """Rasa when a turn fails on the way (action server down): no reply, or an error."""

    def __init__(self, error=None):
        super().__init__()
        self.error = error

    async def __call__(self, message):
        self.messages.append(message)
        if self.error:
            raise self.error


@pytest.mark.parametrize("error", [None, RuntimeError("action server down")])
def test_a_turn_without_a_reply_still_gives_the_parent_the_practice_phone(
    fake_twilio, tmp_path, error
):
    channel, rasa = make(settings(fake_twilio, tmp_path)), SilentRasa(error)
    asyncio.run(post(channel, rasa, signed(twilio_form("+15550000001", "her face is swollen"))))
    assert fake_twilio.to("+15550000001") == [TEXTS["error"]]
    assert "(555) 010-0123" in TEXTS["error"]


def test_twilio_unreachable_is_retried_then_given_up(tmp_path, fake_twilio):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    channel = make(settings(fake_twilio, tmp_path, api_url=closed))
    started = time.perf_counter()
    sent = asyncio.run(channel.sender.send("+15550000001", "Hi."))
    assert sent is False and time.perf_counter() - started >= 2.0  # 3 attempts, backing off


def test_a_flood_from_one_number_is_rate_limited_and_told_once(fake_twilio, tmp_path, monkeypatch):
    import addons.server.rate_limit

    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "2")
    monkeypatch.setattr(addons.server.rate_limit, "_shared", {})
    channel, rasa = make(settings(fake_twilio, tmp_path)), Rasa()

    async def flood():
        for text in ("one", "two", "three", "four", "STOP"):
            await handlers(channel, rasa)["/webhook"](signed(twilio_form("+15550000001", text)))
        await asyncio.gather(*list(channel._tasks))

    asyncio.run(flood())
    assert [m.text for m in rasa.messages] == ["one", "two"]
    bodies = fake_twilio.to("+15550000001")
    assert bodies.count(TEXTS["rate_limited"]) == 1  # told once, not per message
    assert bodies[-1] == TEXTS["stop"]  # STOP is never rate limited


def test_a_conversation_of_another_channel_is_never_texted(fake_twilio, tmp_path):
    channel = make(settings(fake_twilio, tmp_path))
    for recipient in ("+15550000001", "rest:+15550000001", "web:" + "a" * 32, "sms:555"):
        asyncio.run(channel.get_output_channel().send_text_message(recipient, "Hi."))
    assert fake_twilio.to("+15550000001") == []
