"""Conversation ids in the HTTP API's paths are decoded (patch 10 of addons.rasa_compat).

A practice system calls `/conversations/%2B15551234567/trigger_intent` (what
`encodeURIComponent` and `urllib.parse.quote` produce): the parent must get the
check-in, in their one SMS conversation `sms:+15551234567`; a number that is not
E.164 gets a 400 with the reason, never a 200 with nothing sent.

The first tests check the pure decoding; the others run the real Rasa server and
action server (as production starts them, the HTTP API on with its token) with a
fake Twilio on loopback."""

import json
import random
import subprocess
import sys
import urllib.parse

import jwt
import pytest

from addons.rasa_compat.conversation_ids import Refused, conversation_id_from_path
from knowledge import load_knowledge
from tests.helpers.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FakeTwilio,
    encode,
    sign,
    twilio_form,
)
from tests.helpers.live_servers import (
    ROOT,
    action_server,
    base_env,
    rasa_server,
    request,
    start_all,
    stop_all,
    wait_http,
    wait_rasa,
)

API_TOKEN = "ids-api-token-0123456789abcdef"
JWT_SECRET = "ids-jwt-secret-0123456789abcdef-0123"
FOLLOWUP = {"name": "EXTERNAL_followup", "entities": {"procedure": "pulpotomy"}}
KNOWLEDGE = load_knowledge()
CHECK_IN = KNOWLEDGE.reply("followup_checkin", "pulpotomy").sms


def new_phone() -> str:
    return "+1555" + "".join(random.choice("0123456789") for _ in range(7))


# --- the pure decoding ------------------------------------------------------------------


@pytest.mark.parametrize(
    "in_the_path",
    [
        "%2B15551234567",  # encodeURIComponent, urllib.parse.quote(safe="")
        "+15551234567",  # a raw "+" in a path is a plus, not a space
        "sms%3A%2B15551234567",
        "sms%3a%2b15551234567",
        "sms:+15551234567",
        "sms%3A+15551234567",
        "%2B1%20(555)%20123-4567",  # written with separators
        "sms:+1.555.123.4567",
    ],
)
def test_every_spelling_of_an_sms_number_names_its_one_conversation(in_the_path):
    assert conversation_id_from_path(in_the_path) == "sms:+15551234567"
    assert conversation_id_from_path(in_the_path, "twilio") == "sms:+15551234567"


@pytest.mark.parametrize(
    "in_the_path,conversation",
    [
        ("web%3A0123abcd", "web:0123abcd"),
        ("rest%3Aparent%20one", "rest:parent one"),
        ("someone", "someone"),  # an older, unprefixed id
        ("15551234567", "15551234567"),  # digits without "+": not taken for a number
        ("a%2Fb", "a/b"),
        ("a+b", "a+b"),
        ("%F0%9F%A6%B7", "\U0001f9b7"),
        ("%", "%"),  # not an escape: kept as written
        ("100%25", "100%"),
    ],
)
def test_other_ids_are_only_percent_decoded(in_the_path, conversation):
    assert conversation_id_from_path(in_the_path) == conversation


@pytest.mark.parametrize(
    "in_the_path,output_channel,words",
    [
        ("%2B1234", None, "is not a phone number in E.164 form, like +15551234567"),
        ("%2B1234", "twilio", "is not a phone number in E.164 form"),
        ("sms%3A15551234567", None, "E.164"),  # the "+" is missing
        ("sms%3A", None, "E.164"),
        ("%2B015551234567", None, "E.164"),
        ("15551234567", "twilio", "E.164"),
        ("someone", "twilio", "The conversation id is not a phone number in E.164 form"),
        ("web%3A0123abcd", "twilio", "names a webchat conversation"),
        ("rest%3A%2B15551234567", "twilio", "names a rest conversation"),
        ("%FF%FE", None, "not UTF-8"),
        ("a%00b", None, "control character"),
        ("%0A", "twilio", "control character"),
    ],
)
def test_a_bad_id_is_refused_with_a_reason(in_the_path, output_channel, words):
    with pytest.raises(Refused) as refused:
        conversation_id_from_path(in_the_path, output_channel)
    assert refused.value.status == 400 and words in refused.value.reason
    assert "1234567" not in refused.value.reason.replace("+15551234567", "")  # masked


def test_install_wraps_rasas_app_factory_and_uninstall_restores_it():
    import rasa.server

    from addons.rasa_compat import conversation_ids

    original = rasa.server.create_app
    conversation_ids.install()
    try:
        assert rasa.server.create_app is not original and conversation_ids.is_installed()
        app = rasa.server.create_app(auth_token=API_TOKEN, cors_origins=None)
        names = [m.__name__ for m in app.request_middleware]
        assert names.count("decode_conversation_id") == 1
    finally:
        conversation_ids.uninstall()
    assert rasa.server.create_app is original and not conversation_ids.is_installed()


# --- on a running server -----------------------------------------------------------------


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    logs = tmp_path_factory.mktemp("conversation-ids")
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN).start()
    credentials = logs / "credentials.yml"
    credentials.write_text(
        "addons.channels.rest.RestInput:\naddons.channels.sms.connector.TwilioSmsInput:\n"
    )
    clock = logs / "clock.txt"
    env = base_env(
        **fake.env(),
        SMS_STATE_FILE=str(logs / "sms_state.sqlite3"),
        TRACKER_SQLITE_PATH=str(logs / "tracker.db"),
        CLOCK_FILE=str(clock),
    )
    actions = action_server(logs, env=env)
    rasa = rasa_server(
        logs,
        dict(
            env,
            RASA_AUTH_TOKEN=API_TOKEN,
            RASA_JWT_SECRET=JWT_SECRET,
            ACTION_SERVER_URL=f"http://127.0.0.1:{actions.port}/webhook",
        ),
        credentials=credentials,
    )
    try:
        start_all(actions, rasa)
        wait_http(f"http://127.0.0.1:{actions.port}/health", actions)
        wait_rasa(rasa)
        yield {"base": rasa.base, "fake": fake, "env": env, "rasa": rasa}
    finally:
        stop_all(rasa, actions)
        fake.stop()


def api(stack, method, conversation, what, query="token=" + API_TOKEN, body=None, headers=None):
    """One HTTP API call with the id exactly as written (`conversation`) in the path."""
    data = json.dumps(body).encode() if body is not None else None
    status, _, raw = request(
        stack["base"],
        f"/conversations/{conversation}/{what}" + (f"?{query}" if query else ""),
        data,
        method=method,
        headers=headers,
    )
    return status, (json.loads(raw) if raw.startswith(b"{") else raw)


def check_in(stack, conversation, query="output_channel=twilio&token=" + API_TOKEN):
    return api(stack, "POST", conversation, "trigger_intent", query, FOLLOWUP)


def texted(stack, phone):
    [text] = stack["fake"].wait_for(phone, 1, timeout=60)
    return text


@pytest.mark.e2e
@pytest.mark.parametrize(
    "spelling",
    [
        lambda phone: urllib.parse.quote(phone, safe=""),  # %2B1555...
        lambda phone: urllib.parse.quote("sms:" + phone, safe=""),  # sms%3A%2B1555...
        lambda phone: phone,  # +1555..., the "+" as it is
    ],
    ids=["%2B", "sms%3A%2B", "+"],
)
def test_a_check_in_through_a_percent_encoded_id_reaches_the_parent(stack, spelling):
    phone = new_phone()
    status, body = check_in(stack, spelling(phone))
    assert status == 200, body
    assert body["tracker"]["sender_id"] == f"sms:{phone}" and "messages" not in body
    assert texted(stack, phone) == CHECK_IN

    # Every spelling reads the same conversation: the check-in is in it, once.
    for read_as in (urllib.parse.quote(phone, safe=""), f"sms%3A%2B{phone[1:]}", f"sms:{phone}"):
        status, tracker = api(stack, "GET", read_as, "tracker")
        assert status == 200 and tracker["sender_id"] == f"sms:{phone}"
        intents = [
            e["parse_data"]["intent"]["name"] for e in tracker["events"] if e["event"] == "user"
        ]
        assert intents == ["EXTERNAL_followup"]


@pytest.mark.e2e
def test_the_parents_reply_continues_the_conversation_the_api_started(stack):
    phone = new_phone()
    assert check_in(stack, urllib.parse.quote(phone, safe=""))[0] == 200
    assert texted(stack, phone) == CHECK_IN
    form = twilio_form(phone, "1")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": sign(form),
    }
    status, _, _ = request(stack["base"], "/webhooks/twilio/webhook", encode(form), headers=headers)
    assert status == 200
    replies = stack["fake"].wait_for(phone, 2)
    assert replies[1].startswith(KNOWLEDGE.reply("followup_well").sms[:40])


@pytest.mark.e2e
def test_a_number_that_is_not_e164_is_a_400_with_the_reason_and_nothing_is_sent(stack):
    sent = stack["fake"].requests
    status, body = check_in(stack, "%2B1234")
    assert status == 400, body
    assert "is not a phone number in E.164 form, like +15551234567" in body["reason"]
    status, body = check_in(stack, "someone")  # output_channel=twilio: an SMS conversation
    assert status == 400 and "E.164" in body["reason"]
    status, body = check_in(stack, "web%3A0123abcd")
    assert status == 400 and "webchat" in body["reason"]
    status, body = api(stack, "GET", "%2B1234", "tracker")
    assert status == 400 and "E.164" in body["reason"]
    status, body = api(stack, "GET", "a%00b", "tracker")
    assert status == 400 and "control character" in body["reason"]
    assert stack["fake"].requests == sent  # refused before anything ran: nothing to wait for

    # Rasa's authentication comes first: without the token it is still a 401.
    assert check_in(stack, "%2B1234", "output_channel=twilio")[0] == 401
    assert api(stack, "GET", "%FF", "tracker", query="")[0] == 401


@pytest.mark.e2e
def test_a_parents_jwt_reaches_their_conversation_however_the_id_is_written(stack):
    phone, other = new_phone(), new_phone()
    token = jwt.encode({"user": {"username": f"sms:{phone}", "role": "user"}}, JWT_SECRET)
    headers = {"Authorization": f"Bearer {token}"}
    for spelling in (urllib.parse.quote(phone, safe=""), phone, f"sms%3A%2B{phone[1:]}"):
        status, tracker = api(stack, "GET", spelling, "tracker", query="", headers=headers)
        assert status == 200 and tracker["sender_id"] == f"sms:{phone}"
    assert (
        api(stack, "GET", urllib.parse.quote(other, safe=""), "tracker", "", None, headers)[0]
        == 403
    )


@pytest.mark.e2e
def test_make_followup_sends_the_id_percent_encoded_and_the_parent_gets_it(stack):
    phone = new_phone()
    env = dict(stack["env"], RASA_URL=stack["base"], RASA_AUTH_TOKEN=API_TOKEN)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "addons.staff.followup",
            "--now-via-api",  # at once, through the HTTP API
            "--phone",
            phone,
            "--procedure",
            "pulpotomy",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert texted(stack, phone) == CHECK_IN
    status, tracker = api(stack, "GET", f"sms:{phone}", "tracker")
    assert status == 200 and tracker["sender_id"] == f"sms:{phone}"
