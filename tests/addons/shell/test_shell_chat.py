"""The command-line chat in a real pseudo-terminal (pexpect), against the real action
server and Rasa server, with the SMS channel texting a fake Twilio REST API on
loopback. What a tester types and sees, as `make shell` runs it."""

import re
import sys
import time

import pexpect
import pytest

from addons.server import replies
from common.paths import PROJECT_ROOT
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
    request,
    start_all,
    stop_all,
    wait_http,
    wait_rasa,
)

pytestmark = pytest.mark.e2e
SHELL_TOKEN = "shell-test-token-0123456789abcdef"
REST_TOKEN = "shell-test-rest-token-0123456789"
KNOWLEDGE = load_knowledge()
WIDTH = 118  # a 120-column terminal
PROMPT = "you> "


def words(text):
    """Text as a reader sees it, whatever the wrapping: words only."""
    return " ".join(re.sub(r"[|]", " ", text).split())


def answer(topic, procedure=None):
    return words(KNOWLEDGE.reply(topic, procedure).long_text)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    logs = tmp_path_factory.mktemp("shell-logs")
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN).start()
    credentials = logs / "credentials.yml"
    credentials.write_text(
        "addons.channels.rest.RestInput:\n"
        "addons.channels.sms.connector.TwilioSmsInput:\n"
        "addons.channels.shell.ShellInput:\n"
    )
    env = base_env(
        LANG="C.UTF-8",  # the tester's locale decides the chat's first language
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_NUMBER=TWILIO_NUMBER,
        TWILIO_WEBHOOK_URL=PUBLIC_URL,
        TWILIO_API_URL=fake.url,
        SMS_STATE_FILE=str(logs / "sms_state.sqlite3"),
        TRACKER_SQLITE_PATH=str(logs / "tracker.db"),
        REST_TOKEN=REST_TOKEN,
        SHELL_TOKEN=SHELL_TOKEN,
    )
    env.pop("TWILIO_MESSAGING_SERVICE_SID", None)
    actions = action_server(logs, env=env)
    rasa = rasa_server(
        logs,
        dict(env, ACTION_SERVER_URL=f"http://127.0.0.1:{actions.port}/webhook"),
        credentials=credentials,
    )
    try:
        start_all(actions, rasa)
        wait_http(f"http://127.0.0.1:{actions.port}/health", actions)
        wait_rasa(rasa)
        yield {
            "base": rasa.base,
            "fake": fake,
            "actions": actions,
            "rasa": rasa,
            "env": env,
            "history": logs / "history",
        }
    finally:
        stop_all(rasa, actions)
        fake.stop()


class Terminal:
    """`python -m addons.shell` in a 120x40 pseudo-terminal."""

    def __init__(self, stack, channel="web", lang="C.UTF-8"):
        env = dict(stack["env"], TERM="xterm", SHELL_HISTORY=str(stack["history"]), LANG=lang)
        env.pop("COLUMNS", None)  # the terminal's own size decides the wrapping
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "addons.shell", "--url", stack["base"], "--channel", channel],
            cwd=str(PROJECT_ROOT),
            env=env,
            encoding="utf-8",
            dimensions=(40, WIDTH + 2),
            timeout=60,
        )
        self.child.expect_exact(PROMPT)
        self.opening = self.child.before.replace("\r\n", "\n")

    def type(self, text):
        """Types a line, returns everything shown until the next prompt."""
        self.child.sendline(text)
        self.child.expect_exact(PROMPT)
        shown = self.child.before.replace("\r\n", "\n")
        # The pty echoes what was typed on the first line.
        return shown.split("\n", 1)[1] if "\n" in shown else ""

    def close(self):
        self.child.sendline("/quit")
        self.child.expect(pexpect.EOF)
        self.child.close()
        return self.child.exitstatus


@pytest.fixture
def terminal(stack):
    opened = []

    def open_one(channel="web", lang="C.UTF-8"):
        opened.append(Terminal(stack, channel, lang))
        return opened[-1]

    yield open_one
    for term in opened:
        if term.child.isalive():
            term.child.terminate(force=True)


def suggestions(shown):
    return re.findall(r"^\s*\[(\d)\] (.+)$", shown, flags=re.M)


def test_a_question_typed_after_suggestions_is_answered_as_typed(terminal):
    term = terminal()
    first = term.type("will it hurt")
    assert suggestions(first), "the answer should offer numbered suggestions"
    shown = term.type("my daughter needs a pulpectomy. whats the difference w a pulpotomy")
    assert answer("difference", "pulpectomy") in words(shown)
    assert term.close() == 0


def test_a_number_picks_the_suggestion_shown_by_its_title(terminal):
    term = terminal()
    offered = dict(suggestions(term.type("will it hurt")))
    shown = term.type("1")
    assert f"> {offered['1']}" in shown
    topic = next(e.id for e in KNOWLEDGE.entries.values() if e.title == offered["1"])
    assert answer(topic) in words(shown)
    assert "/ask_topic" not in shown and "payload" not in shown


def test_a_red_flag_typed_after_suggestions_gets_the_911_or_call_now_reply(terminal):
    term = terminal()
    assert suggestions(term.type("will it hurt"))
    shown = words(term.type("her face is swelling near her eye")).lower()
    assert "call 911 or go to the nearest emergency room now" in shown
    assert not suggestions(shown)
    term.type("will it hurt")
    shown = words(term.type("he has a fever of 101"))
    assert "(555) 010-0123" in shown and "now" in shown


def test_a_long_answer_is_shown_whole_wrapped_with_its_source_set_apart(terminal):
    term = terminal()
    shown = term.type("what happens during a pulpectomy step by step")
    reply = KNOWLEDGE.reply("steps_pulpectomy", "pulpectomy")
    assert words(reply.long_text) in words(shown)
    lines = shown.splitlines()
    assert all(len(line) <= WIDTH for line in lines), max(lines, key=len)
    source_lines = [line for line in lines if line.strip().startswith("| ")]
    assert source_lines and words(" ".join(source_lines)) == words(reply.source_line)
    assert "{" not in shown and "payload" not in shown


def test_commands_slots_why_and_restart(terminal):
    term = terminal()
    term.type("my son is getting a pulpectomy next week")
    slots = term.type("/slots")
    assert "procedure:  pulpectomy" in slots
    term.type("his gums are swollen and theres pus")
    why = term.type("/why")
    assert "intent:     report_red_flag (confidence 1.00)" in why
    assert "red flag:   yes:" in why
    term.type("/ask_pain")  # a typed payload is read as words, not run as an intent
    assert "message:    'ask pain'" in term.type("/why")
    assert "a new conversation" in term.type("/restart")
    assert "procedure:  not known yet" in term.type("/slots")


def test_a_spanish_locale_starts_the_chat_in_spanish(terminal):
    term = terminal(lang="es_US.UTF-8")
    assert "Claro, le respondo en español" in term.opening
    shown = term.type("q es una pulpotomia")
    assert "pulpa" in shown and "| Fuente" in shown
    assert "language:   es" in term.type("/slots")
    assert "language:   es (confidence" in term.type("/why")


def test_arrow_up_recalls_an_earlier_question(terminal):
    term = terminal()
    first = term.type("how long does a pulpotomy take")
    term.child.send("\x1b[A")  # arrow up: the last line typed
    term.child.sendline("")
    term.child.expect_exact(PROMPT)
    again = term.child.before.replace("\r\n", "\n")
    assert "how long does a pulpotomy take" in again
    assert words(first.strip()) in words(again)


def test_piped_input_prints_each_answer_and_exits(stack):
    child = pexpect.spawn(
        "/bin/bash",
        [
            "-c",
            f"printf 'will it hurt\\n' | {sys.executable} -m addons.shell "
            f"--url {stack['base']} --width 100",
        ],
        cwd=str(PROJECT_ROOT),
        env=stack["env"],
        encoding="utf-8",
        timeout=60,
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert answer("pain") in words(child.before)


def sms_by_webhook(stack, phone, messages):
    """What the fake Twilio receives for a phone texting `messages`, turn by turn."""
    fake = stack["fake"]
    turns = []
    for message in messages:
        before = len(fake.to(phone))
        form = twilio_form(phone, message)
        status, _, _ = request(
            stack["base"],
            "/webhooks/twilio/webhook",
            encode(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": sign(form),
            },
        )
        assert status == 200
        count = len(fake.wait_for(phone, before + 1))
        while True:  # then until no new text comes for a moment
            time.sleep(0.8)
            if len(fake.to(phone)) == count:
                break
            count = len(fake.to(phone))
        turns.append(fake.to(phone)[before:])
    return turns


def sms_in_preview(shown):
    """The SMS bodies in the preview, unwrapped: (texts, segment counts)."""
    texts, costs = [], []
    for block in re.split(r"^\s*-- SMS \d+ of \d+: ", shown, flags=re.M)[1:]:
        header, _, body = block.partition("\n")
        costs.append(int(re.search(r"(\d+) segments? --", header).group(1)))
        body = re.split(r"^\s*-- \d+ segments in all --", body, flags=re.M)[0]
        texts.append(words(body))
    return texts, costs


def test_the_sms_preview_is_what_twilio_is_asked_to_send(stack, terminal):
    conversation = ["my son needs a pulpotomy", "2", "MORE", "is it safe", "HELP", "STOP"]
    by_webhook = sms_by_webhook(stack, "+15557654321", conversation)
    term = terminal("sms")
    for message, sent in zip(conversation, by_webhook, strict=True):
        texts, costs = sms_in_preview(term.type(message))
        assert sent and texts == [words(t) for t in sent], message
        assert costs == [1 if len(t) <= 160 else -(-len(t) // 153) for t in sent]


def test_with_the_action_server_stopped_the_chat_shows_the_fallback(stack, terminal):
    """Last in this module: it stops the action server."""
    stack["actions"].stop()
    term = terminal()
    shown = term.type("will it hurt")
    assert words(replies.text(replies.ACTION_UNAVAILABLE)) in words(shown)
    assert "call 911" in words(term.type("she cant breathe")).lower()


def test_the_channel_answers_only_with_its_token(stack):
    body = b'{"sender": "t", "message": "will it hurt"}'
    for headers in ({}, {"Authorization": "Bearer wrong-token"}):
        status, _, _ = request(stack["base"], "/webhooks/shell/webhook", body, headers=headers)
        assert status == 401
    status, _, _ = request(
        stack["base"],
        "/webhooks/shell/webhook",
        b'{"sender": "t", "message": "hi", "preview": "fax"}',
        headers={"Authorization": f"Bearer {SHELL_TOKEN}"},
    )
    assert status == 400


def test_the_server_does_not_start_rasas_own_console_reader(stack):
    """Rasa 3.6 starts a console chat on the server's own terminal for any channel
    named "cmdline" (the name ours had): under `make run` it would read the terminal."""
    log = stack["rasa"].log.read_text(errors="replace")
    assert "run_cmdline_io" not in log and "Input is not a terminal" not in log
