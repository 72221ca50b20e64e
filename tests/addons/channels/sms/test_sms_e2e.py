"""End to end by SMS: the real action server and Rasa server (HTTP API on, with a
token), Twilio-signed webhooks, and a fake Twilio REST API on loopback that
records every SMS the assistant sends. Nothing reaches the real Twilio."""

import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from addons.channels.sms.format import is_gsm7, to_gsm7, to_sms_text
from common.conversations import sms_conversation
from common.paths import PROJECT_ROOT
from common.phones import mask_phone
from knowledge import load_knowledge
from tests.helpers.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_URL,
    TWILIO_NUMBER,
    FakeTwilio,
    encode,
    sign,
    twilio_form,
)
from tests.helpers.live_servers import (
    action_server,
    base_env,
    rasa_server,
    start_all,
    stop_all,
    wait_http,
    wait_rasa,
)

ROOT = PROJECT_ROOT
API_TOKEN = "e2e-api-token-0123456789abcdef"
REST_TOKEN = "e2e-rest-token-0123456789abcdef"
pytestmark = pytest.mark.e2e
KNOWLEDGE = load_knowledge()
ACK_TIMES = []


def sms(topic, procedure=None):
    return KNOWLEDGE.reply(topic, procedure).sms


def http(url, data=None, headers=None, timeout=60):
    request = urllib.request.Request(
        url, data=data, headers=headers or {}, method="POST" if data is not None else "GET"
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode(), time.perf_counter() - started
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), time.perf_counter() - started


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    logs = tmp_path_factory.mktemp("sms-logs")
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN).start()
    credentials = logs / "credentials.yml"  # our REST channel (with its token) and SMS
    credentials.write_text(
        "addons.channels.rest.RestInput:\naddons.channels.sms.connector.TwilioSmsInput:\n"
    )
    env = base_env(
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_NUMBER=TWILIO_NUMBER,
        TWILIO_WEBHOOK_URL=PUBLIC_URL,
        TWILIO_API_URL=fake.url,
        SMS_STATE_FILE=str(logs / "sms_state.sqlite3"),
        REST_TOKEN=REST_TOKEN,
        TRACKER_SQLITE_PATH=str(logs / "tracker.db"),
    )
    env.pop("TWILIO_MESSAGING_SERVICE_SID", None)
    actions = action_server(logs, env=env)
    # As production starts it (scripts/run.sh): the HTTP API on because its token is set.
    rasa = rasa_server(
        logs,
        dict(
            env,
            RASA_AUTH_TOKEN=API_TOKEN,
            ACTION_SERVER_URL=f"http://127.0.0.1:{actions.port}/webhook",
        ),
        credentials=credentials,
    )
    try:
        start_all(actions, rasa)
        wait_http(f"http://127.0.0.1:{actions.port}/health", actions)
        wait_rasa(rasa)
        yield {"base": rasa.base, "fake": fake, "env": env, "logs": logs}
    finally:
        stop_all(rasa, actions)
        fake.stop()
        if ACK_TIMES:
            print(
                f"\nwebhook acknowledged in {min(ACK_TIMES) * 1000:.0f}-"
                f"{max(ACK_TIMES) * 1000:.0f} ms over {len(ACK_TIMES)} signed webhooks"
            )


class Parent:
    """One phone texting the assistant through Twilio's signed webhook."""

    def __init__(self, stack, new_phone):
        self.stack, self.fake, self.phone = stack, stack["fake"], new_phone()
        self.seen = 0

    def post(self, form, signature="sign"):
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature == "sign":
            signature = sign(form)
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        status, body, elapsed = http(
            f"{self.stack['base']}/webhooks/twilio/webhook", encode(form), headers, timeout=30
        )
        if status == 200:
            ACK_TIMES.append(elapsed)
            assert elapsed < 1.0, f"webhook took {elapsed:.2f} s to acknowledge"
            assert body == '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
        return status

    def text(self, body, **form_fields):
        assert self.post(twilio_form(self.phone, body, **form_fields)) == 200

    def replies(self, count=1, quiet=0.8, timeout=60):
        """The new SMS to this phone: at least `count`, then until `quiet` s pass with none."""
        bodies = self.fake.wait_for(self.phone, self.seen + count, timeout)
        while True:
            time.sleep(quiet)
            later = self.fake.to(self.phone)
            if len(later) == len(bodies):
                break
            bodies = later
        new, self.seen = bodies[self.seen :], len(bodies)
        for body in new:
            assert len(body) <= 320 and is_gsm7(body), body
            assert "/ask_topic" not in body and "Source" not in body and "**" not in body
        assert len(new) >= count, f"expected {count} SMS, got {new}"
        return new

    def check_in(self, procedure="pulpotomy", token=API_TOKEN, conversation=None):
        query = urllib.parse.urlencode(
            {"output_channel": "twilio", **({"token": token} if token else {})}
        )
        url = (
            f"{self.stack['base']}/conversations/"
            f"{urllib.parse.quote(conversation or sms_conversation(self.phone), safe='+:')}"
            f"/trigger_intent?{query}"
        )
        data = json.dumps(
            {"name": "EXTERNAL_followup", "entities": {"procedure": procedure}}
        ).encode()
        status, body, _ = http(url, data, {"Content-Type": "application/json"})
        return status, body


@pytest.fixture
def parent(stack, new_phone):
    return Parent(stack, new_phone)


def test_a_forged_signature_gets_403_and_nothing_is_sent(parent):
    form = twilio_form(parent.phone, "what is a pulpotomy")
    assert parent.post(form, signature=None) == 403
    assert parent.post(form, signature="Zm9yZ2Vk") == 403
    assert parent.post(form, signature=sign(form, token="not-our-auth-token")) == 403
    assert (
        parent.post(form, signature=sign(form, url="http://127.0.0.1/webhooks/twilio/webhook"))
        == 403
    )
    time.sleep(2)
    assert parent.fake.to(parent.phone) == []


def test_a_question_gets_its_short_answer_then_a_number_and_more(parent):
    parent.text("what is a pulpotomy")
    answer = parent.replies(1)
    assert answer[0].startswith(sms("what_is_pulpotomy"))
    assert "Reply MORE for details, 1 for pulpotomy vs. pulpectomy" in "\n".join(answer)

    parent.text("1")  # the first choice: how the two differ
    assert parent.replies(1)[0].startswith(sms("difference"))

    parent.text("MORE")  # the longer answer, in order, at most 3
    parts = parent.replies(1)
    long_text = to_sms_text(KNOWLEDGE.reply("difference", "pulpotomy").long_text)
    assert 1 <= len(parts) <= 3
    if len(parts) > 1:
        assert [p[:5] for p in parts] == [f"({i}/{len(parts)})" for i in range(1, len(parts) + 1)]
    rejoined = " ".join(p.split(") ", 1)[1] if len(parts) > 1 else p for p in parts)
    assert rejoined.split() == long_text.split()


def test_stop_then_a_check_in_sends_nothing_until_start(parent):
    parent.text("STOP")
    assert parent.replies(1) == [sms("sms_stop")]
    status, _ = parent.check_in()
    assert status == 200
    parent.text("what is a pulpectomy")
    parent.text("Stop")  # no second confirmation
    time.sleep(2)
    assert parent.fake.to(parent.phone)[parent.seen :] == []

    parent.text("START")
    assert parent.replies(1) == [sms("sms_start")]
    assert parent.check_in()[0] == 200
    assert "Reply 1 doing well" in parent.replies(1)[0]


def test_help_names_the_practice_and_phone_and_how_to_opt_out(parent):
    parent.text("HELP")
    [reply] = parent.replies(1)
    assert reply == sms("sms_help")
    assert KNOWLEDGE.practice["name"] in reply and KNOWLEDGE.practice["phone"] in reply
    assert "Reply STOP to opt out" in reply


def test_an_empty_body_and_a_photo_get_a_short_helpful_reply(parent):
    parent.text("")
    assert parent.replies(1) == [sms("input_empty")]
    parent.text("", media=1)
    [reply] = parent.replies(1)
    assert reply == sms("sms_photo") and "type your question" in reply


def test_a_retried_message_sid_is_answered_once(parent):
    form = twilio_form(parent.phone, "how long does the visit take")
    assert parent.post(form) == 200
    assert parent.post(form) == 200  # Twilio's retry: same MessageSid
    first = parent.replies(1)
    parent.text("thank you")  # handled after the retry, if it were
    parent.replies(1)
    everything = parent.fake.to(parent.phone)
    assert everything.count(first[0]) == 1


@pytest.mark.parametrize(
    "choice,topic", [("1", "followup_well"), ("2", "followup_sore"), ("3", "red_flag_urgent")]
)
def test_the_check_in_and_each_reply(parent, choice, topic):
    status, _ = parent.check_in("pulpotomy")
    assert status == 200
    [check_in] = parent.replies(1)
    assert check_in == sms("followup_checkin", "pulpotomy")
    assert KNOWLEDGE.practice["name"] in check_in and "pulpotomy" in check_in
    assert "Reply 1 doing well, 2 sore, 3 swelling or fever." in check_in
    assert "Reply STOP to opt out." in check_in
    parent.text(choice)
    reply = parent.replies(1)
    assert reply[0].startswith(sms(topic))
    if choice == "3":  # the red-flag text, nothing added
        assert reply == [sms(topic)]
        assert "now" in reply[0] and "911" in reply[0] and KNOWLEDGE.practice["phone"] in reply[0]


def test_free_text_after_a_check_in_goes_through_understanding_in_context(parent):
    assert parent.check_in("pulpectomy")[0] == 200
    parent.replies(1)
    parent.text("will it hurt?")
    assert parent.replies(1)[0].startswith(sms("pain", "pulpectomy"))  # "a pulpectomy"


def test_a_red_flag_by_free_text_gets_the_call_now_text(parent):
    parent.text("her cheek is really swollen and she has a fever")
    [urgent] = parent.replies(1)
    assert urgent == sms("red_flag_urgent")
    parent.text("now he is having trouble breathing")
    [emergency] = parent.replies(1)
    assert emergency == sms("red_flag_emergency") and "911" in emergency


def test_the_http_api_needs_the_token(parent):
    assert parent.check_in(token=None)[0] == 401
    assert parent.check_in(token="wrong-token-0123456789")[0] == 401
    time.sleep(1)
    assert parent.fake.to(parent.phone) == []


def test_make_followup_script_sends_the_check_in(stack, new_phone):
    """`--now-via-api`: the check-in at once through the HTTP API (scheduled check-ins,
    the default, are tested in tests/addons/practice/test_checkins_e2e.py)."""
    phone = new_phone()
    env = dict(stack["env"], RASA_URL=stack["base"], RASA_AUTH_TOKEN=API_TOKEN)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "addons.staff.followup",
            "--now-via-api",
            "--phone",
            phone,
            "--procedure",
            "pulpectomy",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert mask_phone(phone) in done.stdout and phone not in done.stdout  # masked in the output
    [check_in] = stack["fake"].wait_for(phone, 1)
    assert check_in == sms("followup_checkin", "pulpectomy")

    for argv in (
        ["--phone", "5551234567", "--procedure", "pulpotomy"],
        ["--phone", phone, "--procedure", "extraction"],
    ):
        bad = subprocess.run(
            [sys.executable, "-m", "addons.staff.followup", *argv],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert bad.returncode == 2

    no_token = {k: v for k, v in env.items() if k not in ("RASA_AUTH_TOKEN", "RASA_JWT_SECRET")}
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "addons.staff.followup",
            "--now-via-api",
            "--phone",
            phone,
            "--procedure",
            "pulpotomy",
        ],
        cwd=ROOT,
        env=no_token,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode != 0 and "RASA_AUTH_TOKEN" in (refused.stderr + refused.stdout)


def test_the_script_refuses_a_number_that_opted_out(stack, new_phone):
    parent = Parent(stack, lambda: new_phone())
    parent.text("STOP")
    parent.replies(1)
    env = dict(stack["env"], RASA_URL=stack["base"], RASA_AUTH_TOKEN=API_TOKEN)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "addons.staff.followup",
            "--phone",
            parent.phone,
            "--procedure",
            "pulpotomy",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3 and "opted out" in done.stdout
    time.sleep(1)
    assert parent.fake.to(parent.phone)[parent.seen :] == []


# --- one conversation, one door (conversation ids carry their channel) -------------
def rest(stack, sender, message, token=REST_TOKEN, **extra):
    body = json.dumps({"sender": sender, "message": message, **extra}).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    status, text, _ = http(f"{stack['base']}/webhooks/rest/webhook", body, headers)
    return status, (json.loads(text) if status == 200 else text)


def tracker(stack, conversation):
    quoted = urllib.parse.quote(conversation, safe="+:")
    status, body, _ = http(f"{stack['base']}/conversations/{quoted}/tracker?token={API_TOKEN}")
    assert status == 200, body
    return json.loads(body)


def said(tracker_json):
    return [e.get("text") for e in tracker_json["events"] if e.get("event") == "user"]


def test_a_rest_caller_with_a_parents_number_cannot_read_or_write_the_sms_conversation(parent):
    """The read the issue reproduced: it used to answer "A pulpectomy takes out..."."""
    parent.text("my son is getting a pulpectomy next week")
    parent.replies(1)
    parent.text("what does that mean?")  # in the parent's own conversation: the pulpectomy
    assert parent.replies(1)[0] == sms("what_is_pulpectomy")
    pulpectomy = KNOWLEDGE.reply("what_is_pulpectomy").long_text

    for sender in (parent.phone, sms_conversation(parent.phone)):
        status, replies = rest(parent.stack, sender, "what does that mean?")
        assert status == 200
        texts = " ".join(r.get("text", "") for r in replies)
        assert pulpectomy not in texts  # it knows nothing of the SMS conversation
        assert texts.startswith(KNOWLEDGE.reply("ask_which_procedure").long_text[:40])
        assert all(r["recipient_id"] == sender for r in replies)

    assert said(tracker(parent.stack, sms_conversation(parent.phone))) == [
        "my son is getting a pulpectomy next week",
        "what does that mean?",
    ]  # nothing written into the parent's conversation
    assert said(tracker(parent.stack, f"rest:{parent.phone}")) == ["what does that mean?"]
    time.sleep(0.5)
    assert parent.fake.to(parent.phone)[parent.seen :] == []  # and nothing texted


def test_the_rest_channel_needs_its_token(parent):
    for token in (None, "wrong-token-0123456789abcdef"):
        status, body = rest(parent.stack, "integration", "what is a pulpotomy", token=token)
        assert status == 401 and "REST_TOKEN" in body
    status, replies = rest(parent.stack, "integration", "what is a pulpotomy")
    assert status == 200 and replies


def test_metadata_from_a_rest_caller_cannot_make_a_staff_check_in(parent):
    status, replies = rest(
        parent.stack,
        parent.phone,
        "/EXTERNAL_followup",
        metadata={"is_external": True, "output_channel": "twilio"},
    )
    assert status == 200
    texts = " ".join(r.get("text", "") for r in replies)
    assert KNOWLEDGE.reply("followup_checkin", "pulpotomy").sms[:30] not in texts
    time.sleep(0.5)
    assert parent.fake.to(parent.phone) == []


def test_a_check_in_reaches_only_the_parents_sms_conversation(parent):
    # Another channel's conversation is refused with the reason; nothing is texted.
    status, body = parent.check_in(conversation=f"rest:{parent.phone}")
    assert status == 400 and json.loads(body)["reason"]
    time.sleep(1)
    assert parent.fake.to(parent.phone) == []
    # The bare number, as an integration sends it, is the parent's SMS conversation.
    assert parent.check_in(conversation=parent.phone)[0] == 200
    assert parent.replies(1)


# --- in Spanish (issue 13) ---------------------------------------------------------
SPANISH = KNOWLEDGE.in_language("es")


def sms_es(topic, procedure=None):
    """A Spanish SMS as the channel sends it: á, í, ó, ú folded to GSM-7."""
    return to_gsm7(SPANISH.reply(topic, procedure).sms)


def test_a_spanish_question_gets_a_spanish_answer_and_spanish_choices(parent):
    parent.text("q es una pulpotomia? el dentista dice q mi hijo necesita una")
    answer = "\n".join(parent.replies(1))
    assert answer.startswith(sms_es("what_is_pulpotomy"))
    assert "Responda MAS para ver mas, 1 para " in answer  # numbered choices in Spanish
    parent.text("1")
    assert parent.replies(1)[0].startswith(sms_es("difference"))


def test_ayuda_and_parar_are_answered_in_spanish_and_honoured(parent):
    parent.text("AYUDA")
    [help_text] = parent.replies(1)
    assert help_text == sms_es("sms_help") and "PARAR" in help_text
    parent.text("parar")
    assert parent.replies(1) == [sms_es("sms_stop")]
    assert parent.check_in()[0] == 200  # opted out: nothing is sent
    parent.text("cuanto cuesta")
    time.sleep(2)
    assert parent.fake.to(parent.phone)[parent.seen :] == []
    parent.text("START")
    assert parent.replies(1) == [sms_es("sms_start")]  # the number reads Spanish


def test_a_number_that_texted_in_spanish_gets_its_check_in_in_spanish(parent):
    parent.text("hola, a mi hija le hicieron una pulpectomia ayer")
    parent.replies(1)
    assert parent.check_in("pulpectomy")[0] == 200
    [check_in] = parent.replies(1)
    assert check_in == sms_es("followup_checkin", "pulpectomy")
    assert "pulpectomia" in check_in and "PARAR" in check_in
    parent.text("3")  # swelling or fever: the Spanish call-now text
    [reply] = parent.replies(1)
    assert reply == sms_es("red_flag_urgent")
    assert "911" in reply and KNOWLEDGE.practice["phone"] in reply


def test_a_spanish_red_flag_by_free_text_gets_the_spanish_call_now_text(parent):
    parent.text("se le hincho el cachete y tiene calentura")
    [reply] = parent.replies(1)
    assert reply == sms_es("red_flag_urgent")
