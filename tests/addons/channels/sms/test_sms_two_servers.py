"""Twilio's webhook behind a load balancer: two Rasa servers (and one action server)
on one real PostgreSQL, each with the SMS channel, Twilio-signed webhooks and one
fake Twilio REST API on loopback. A STOP taken by one server is honoured by the
other, a MessageSid delivered to both is answered once, and an opt-out from a
server's old per-machine state file reaches both after the upgrade.

No test waits for silence: after a message that must go unanswered, the same
server gets one that is answered (its messages for a number are handled in
order), so once that answer is in, the first one's fate is known."""

import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from knowledge import load_knowledge
from tests.addons.channels.sms.test_sms_store import old_file
from tests.helpers.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FakeTwilio,
    encode,
    sign,
    twilio_form,
)
from tests.helpers.live_servers import (
    action_server,
    base_env,
    rasa_server,
    stop_all,
    wait_http,
    wait_rasa,
)

pytestmark = pytest.mark.e2e

REST_TOKEN = "two-servers-rest-token-0123456789"
KNOWLEDGE = load_knowledge()
OPTED_OUT_BEFORE_THE_UPGRADE = "+15550107781"  # in server one's old state file


def sms(topic, procedure=None):
    return KNOWLEDGE.reply(topic, procedure).sms


@pytest.fixture(scope="module")
def cluster(postgres, redis_server, tmp_path_factory):
    """Two Rasa servers as a load balancer would see them: the same public webhook
    address (TWILIO_WEBHOOK_URL), the same PostgreSQL and Redis, each its own old
    SMS state file (server one's holds an opt-out taken before the upgrade)."""
    logs = tmp_path_factory.mktemp("sms-two-servers")
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN).start()
    credentials = logs / "credentials.yml"
    credentials.write_text(
        "addons.channels.rest.RestInput:\naddons.channels.sms.connector.TwilioSmsInput:\n"
    )
    env = base_env(
        **fake.env(),
        REST_TOKEN=REST_TOKEN,
        DATABASE_URL=postgres.new_database(f"sms2_{uuid.uuid4().hex[:8]}"),
        REDIS_URL=redis_server.url,
    )
    old = old_file(
        logs / "server-one-sms_state.sqlite3",
        opt_outs=[(f"sms:{OPTED_OUT_BEFORE_THE_UPGRADE}", "STOP", 1.0)],
    )
    actions = action_server(logs, env=env)
    servers = [
        rasa_server(
            logs,
            dict(
                env,
                ACTION_SERVER_URL=f"http://127.0.0.1:{actions.port}/webhook",
                SMS_STATE_FILE=str(state_file),
            ),
            credentials=credentials,
        )
        for state_file in (old, logs / "server-two-sms_state.sqlite3")
    ]
    try:
        for server in (actions, *servers):
            server.start()
        wait_http(f"http://127.0.0.1:{actions.port}/health", actions)
        for server in servers:
            wait_rasa(server)
        yield {"servers": servers, "fake": fake, "old_file": old}
    finally:
        stop_all(*servers, actions)
        fake.stop()


def deliver(server, form):
    """One signed webhook, as Twilio posts it (to the public address)."""
    request = urllib.request.Request(
        f"{server.base}/webhooks/twilio/webhook",
        data=encode(form),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": sign(form),
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
    except urllib.error.HTTPError as error:  # pragma: no cover - shown on failure
        raise AssertionError(f"webhook answered {error.code}: {error.read()[:300]!r}") from None


class Phone:
    """One parent's phone and the texts it receives."""

    def __init__(self, cluster, new_phone, number=None):
        self.fake, self.number = cluster["fake"], number or new_phone()

    def text(self, server, body, sid=""):
        form = twilio_form(self.number, body, sid=sid)
        deliver(server, form)
        return form

    def until(self, done, timeout=90):
        """The texts received so far, once `done(texts)` holds (waits for each new one)."""
        deadline = time.monotonic() + timeout
        texts = self.fake.to(self.number)
        while not done(texts):
            left = deadline - time.monotonic()
            assert left > 0, f"still waiting; received {texts}"
            texts = self.fake.wait_for(self.number, len(texts) + 1, timeout=left)
        return texts


def answers(texts, topic):
    """How many of `texts` are (the first part of) the answer to `topic`."""
    return len([text for text in texts if text.startswith(sms(topic))])


def test_stop_taken_by_one_server_is_honoured_by_the_other(cluster, new_phone):
    one, two = cluster["servers"]
    phone = Phone(cluster, new_phone)
    phone.text(one, "STOP")
    assert phone.until(lambda texts: texts) == [sms("sms_stop")]

    phone.text(two, "what is a pulpotomy")  # opted out: not answered
    phone.text(two, "START")  # handled after it, on the same server
    started = phone.until(lambda texts: sms("sms_start") in texts)
    assert started == [sms("sms_stop"), sms("sms_start")]  # nothing in between

    phone.text(one, "what is a pulpotomy")  # the START reached server one too
    phone.until(lambda texts: answers(texts, "what_is_pulpotomy"))


def test_a_message_sid_delivered_to_both_servers_is_answered_once(cluster, new_phone):
    one, two = cluster["servers"]
    phone = Phone(cluster, new_phone)
    form = phone.text(one, "what is a pulpotomy")
    phone.until(lambda texts: answers(texts, "what_is_pulpotomy"))
    deliver(two, form)  # Twilio's retry of the same MessageSid reaches the other server
    phone.text(two, "HELP")  # answered after the retry would have been
    texts = phone.until(lambda texts: sms("sms_help") in texts)
    assert answers(texts, "what_is_pulpotomy") == 1, texts
    assert f"Twilio retry of message {form['MessageSid']} ignored" in two.log.read_text()


def test_one_message_sid_delivered_to_both_at_once_is_answered_once(cluster, new_phone):
    one, two = cluster["servers"]
    phone = Phone(cluster, new_phone)
    form = twilio_form(phone.number, "what is a pulpectomy")
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda server: deliver(server, form), (one, two)))
    phone.text(one, "HELP")  # each server answers this after anything it took
    phone.text(two, "HELP")
    texts = phone.until(lambda texts: texts.count(sms("sms_help")) == 2)
    assert answers(texts, "what_is_pulpectomy") == 1, texts


def test_an_opt_out_from_a_servers_old_file_reaches_both_servers(cluster, new_phone):
    one, two = cluster["servers"]
    old = cluster["old_file"]
    assert not old.exists() and old.with_name(old.name + ".imported").exists()
    assert "Imported the old SMS state file" in one.log.read_text()
    phone = Phone(cluster, new_phone, number=OPTED_OUT_BEFORE_THE_UPGRADE)
    phone.text(two, "what is a pulpotomy")  # the other server: not answered either
    phone.text(two, "START")
    assert phone.until(lambda texts: texts) == [sms("sms_start")]
