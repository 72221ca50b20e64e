"""The run command's start-up checks, one by one (no server started)."""

import pytest
import yaml

from addons.server import serve
from addons.server.fallback import unavailable_events
from common.paths import PROJECT_ROOT

SECRET = "s" * 24


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in (
        "RASA_ENABLE_API",
        "RASA_AUTH_TOKEN",
        "RASA_JWT_SECRET",
        "RASA_JWT_METHOD",
        "ACTION_SERVER_URL",
        "SANIC_WORKERS",
        "REDIS_URL",
    ):
        monkeypatch.delenv(name, raising=False)


def test_api_is_off_unless_asked_for():
    assert serve.api_arguments(["--port", "5005"]) == []


@pytest.mark.parametrize(
    "env, args",
    [
        ({"RASA_ENABLE_API": "true"}, []),
        ({}, ["--enable-api"]),
        ({"RASA_ENABLE_API": "1"}, ["--enable-api"]),
    ],
)
def test_api_without_a_secret_is_refused(monkeypatch, capsys, env, args):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SystemExit) as stop:
        serve.api_arguments(args)
    assert stop.value.code == 2
    assert "RASA_JWT_SECRET" in capsys.readouterr().err


def test_api_secrets_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("RASA_AUTH_TOKEN", SECRET)
    assert serve.api_arguments([]) == ["--enable-api", "--auth-token", SECRET]
    monkeypatch.setenv("RASA_JWT_SECRET", SECRET + "j")
    assert serve.api_arguments(["--enable-api"]) == [
        "--jwt-secret",
        SECRET + "j",
        "--jwt-method",
        "HS256",
        "--auth-token",
        SECRET,
    ]


def test_cors_comes_from_the_practice_settings():
    from common.practice import allowed_origins, load_practice

    assert serve.cors_arguments([]) == ["--cors", *allowed_origins(load_practice())]
    assert serve.cors_arguments(["--cors", "https://x.example"]) == []


def test_action_server_url_rewrites_the_endpoints(monkeypatch, tmp_path):
    source = tmp_path / "endpoints.yml"
    source.write_text(
        "action_endpoint:\n  url: http://localhost:5055/webhook\n"
        "tracker_store:\n  type: addons.server.stores.EnvSQLTrackerStore\n"
    )
    assert serve.endpoints_arguments(["--endpoints", str(source)]) == ["--endpoints", str(source)]
    monkeypatch.setenv("ACTION_SERVER_URL", "http://actions.internal:5055/webhook")
    args = serve.endpoints_arguments(["--port", "1", "--endpoints", str(source)])
    written = yaml.safe_load(open(args[-1]))
    assert written["action_endpoint"]["url"] == "http://actions.internal:5055/webhook"
    assert written["tracker_store"] == {"type": "addons.server.stores.EnvSQLTrackerStore"}


def test_several_workers_need_redis(monkeypatch):
    monkeypatch.setenv("SANIC_WORKERS", "4")
    with pytest.raises(SystemExit):
        serve.check_workers()
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    serve.check_workers()


class Channel:
    def __init__(self, name):
        self._name = name

    def name(self):
        return self._name


class Latest:
    def __init__(self, intent, entities=()):
        self.parse_data = {"intent": {"name": intent}, "entities": list(entities)}


class Tracker:
    def __init__(self, intent, entities=()):
        self.latest_message = Latest(intent, entities)


def test_unavailable_reply_uses_the_practice_phone_and_keeps_red_flags_safe(knowledge):
    [event] = unavailable_events(Channel("rest"), Tracker("ask_pain"))
    assert event.text == knowledge.reply("action_unavailable").long_text
    assert knowledge.practice["phone"] in event.text
    [event] = unavailable_events(Channel("twilio"), Tracker("ask_pain"))
    assert event.text == knowledge.reply("action_unavailable").sms
    [event] = unavailable_events(
        Channel("rest"), Tracker("report_red_flag", [{"entity": "red_flag", "value": "emergency"}])
    )
    assert event.text == knowledge.reply(knowledge.red_flag_topic("emergency")).long_text
    assert "911" in event.text


def test_nothing_is_sent_to_third_parties(monkeypatch, tmp_path):

    root = PROJECT_ROOT
    endpoints = yaml.safe_load((root / "endpoints.yml").read_text())
    assert set(endpoints) <= {
        "action_endpoint",
        "tracker_store",
        "lock_store",
    }  # no broker, NLG, models
    monkeypatch.setenv("RASA_TELEMETRY_ENABLED", "true")
    monkeypatch.setenv("TRACKER_SQLITE_PATH", str(tmp_path / "t.db"))
    import os

    serve.prepare(["--port", "1", "--interface", "127.0.0.1"])
    assert os.environ["RASA_TELEMETRY_ENABLED"] == "false"


def _credentials(
    tmp_path, text="addons.channels.rest.RestInput:\naddons.channels.webchat.WebChatInput:\n"
):
    path = tmp_path / "credentials.yml"
    path.write_text(text)
    return str(path)


def test_an_open_rest_channel_beyond_loopback_is_refused(monkeypatch, capsys, tmp_path):
    credentials = _credentials(tmp_path)
    monkeypatch.delenv("REST_TOKEN", raising=False)
    for interface in ("0.0.0.0", "10.1.2.3"):
        with pytest.raises(SystemExit) as stop:
            serve.rest_arguments(["--interface", interface, "--credentials", credentials])
        assert stop.value.code == 2
        assert "REST_TOKEN" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # Rasa's own default is every interface
        serve.rest_arguments(["--credentials", credentials])
    args = ["--interface", "127.0.0.1", "--credentials", credentials]
    assert serve.rest_arguments(args) == args  # a developer's machine: one command


def test_a_token_or_no_rest_channel_may_listen_everywhere(monkeypatch, tmp_path):
    credentials = _credentials(tmp_path)
    monkeypatch.setenv("REST_TOKEN", "t" * 24)
    args = ["--interface", "0.0.0.0", "--credentials", credentials]
    assert serve.rest_arguments(args) == args
    monkeypatch.delenv("REST_TOKEN")
    monkeypatch.setenv("REST_CHANNEL", "false")
    rewritten = serve.rest_arguments(args)
    written = yaml.safe_load(open(rewritten[rewritten.index("--credentials") + 1]))
    assert list(written) == ["addons.channels.webchat.WebChatInput"]
    assert rewritten.count("--credentials") == 1 and "0.0.0.0" in rewritten
