"""One settings object: every variable read once, one policy for a bad value, documented."""

import re

import pytest

from common import settings
from common.paths import PROJECT_ROOT

RUN_SCRIPT_VARIABLES = {"RASA_PORT", "ACTIONS_PORT", "MODEL", "RASA_INTERFACE", "SHELL_PORT"}
CODE_FOLDERS = ("actions", "addons", "common", "knowledge", "scripts", "bench")
# Reading the environment: os.environ[...] / .get / getenv, in Python code.
READ = re.compile(
    r"os\.environ(\.get\(|\[|\.setdefault\()\s*[\"']([A-Z0-9_]+)|os\.getenv\(\s*[\"']([A-Z0-9_]+)"
)


def documented() -> set:
    table = (PROJECT_ROOT / "docs" / "settings.md").read_text()
    return set(re.findall(r"^\| `([A-Z0-9_]+)`", table, flags=re.M))


def test_the_documented_table_is_the_list_the_code_reads():
    assert documented() == set(settings.env_names()) | RUN_SCRIPT_VARIABLES


def test_the_run_script_reads_only_documented_variables():
    script = (PROJECT_ROOT / "scripts" / "run.sh").read_text()
    own = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*):-", script))
    assert own <= documented(), own - documented()


def test_no_code_reads_the_environment_outside_the_settings_module():
    readers = {}
    for folder in CODE_FOLDERS:
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            if path == PROJECT_ROOT / "common" / "settings.py":
                continue
            names = {a or b for _, a, b in READ.findall(path.read_text())}
            # Rasa's own switches that the project sets, not reads as settings.
            names -= {"RASA_TELEMETRY_ENABLED", "SQLALCHEMY_SILENCE_UBER_WARNING"}
            if names:
                readers[str(path.relative_to(PROJECT_ROOT))] = sorted(names)
    assert not readers


def test_unset_variables_take_their_defaults():
    loaded = settings.load({})
    assert loaded.rate_limit_per_minute == 30
    assert loaded.action_timeout_seconds == 10.0
    assert loaded.rasa_jwt_method == "HS256"
    assert loaded.tracker_url[1] == "the default SQLite file"
    assert loaded.practice_file == PROJECT_ROOT / "practice.yml"


def test_values_are_typed_and_frozen():
    loaded = settings.load(
        {
            "RATE_LIMIT_PER_MINUTE": " 5 ",
            "RASA_ENABLE_API": "yes",
            "DATABASE_URL": "postgres://u:p@db/x",
        }
    )
    assert loaded.rate_limit_per_minute == 5 and loaded.rasa_enable_api is True
    assert loaded.tracker_url == ("postgresql://u:p@db/x", "DATABASE_URL")
    with pytest.raises(AttributeError):
        loaded.rate_limit_per_minute = 6  # type: ignore[misc]


@pytest.mark.parametrize(
    "name, value, allowed",
    [
        ("RATE_LIMIT_PER_MINUTE", "lots", "a whole number >= 0"),
        ("ACTION_TIMEOUT_SECONDS", "-1", "a number of seconds > 0"),
        ("TRACKER_CACHE_SIZE", "1.5", "a whole number >= 0"),
        ("SANIC_WORKERS", "0", "a whole number >= 1"),
        ("RASA_ENABLE_API", "maybe", "true or false"),
        ("RASA_JWT_METHOD", "RS256", "one of HS256, HS384, HS512"),
        ("ACTION_SERVER_URL", "localhost:5055", "a URL starting with http:// or https://"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable_and_what_is_allowed(name, value, allowed):
    with pytest.raises(settings.SettingsError) as error:
        settings.load({name: value})
    [line] = str(error.value).splitlines()
    assert line.startswith(f"{name}={value!r} is not allowed") and allowed in line


def test_secrets_are_masked_in_the_message():
    with pytest.raises(settings.SettingsError) as error:
        settings.load({"RASA_AUTH_TOKEN": "short-secret", "RATE_LIMIT_PER_MINUTE": "x"})
    message = str(error.value)
    assert "short-secret" not in message and "RASA_AUTH_TOKEN=" in message
    assert len(message.splitlines()) == 2  # every bad variable, one line each


def test_current_reads_once(monkeypatch):
    first = settings.current()
    assert settings.current() is first
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "7")  # the test fixture reads them again
    assert settings.current().rate_limit_per_minute == 7


def test_the_run_command_refuses_a_bad_value_with_one_line(monkeypatch, capsys):
    from addons.server import serve

    monkeypatch.setenv("MAX_MESSAGE_CHARS", "0")
    with pytest.raises(SystemExit) as stop:
        serve.prepare([])
    assert stop.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "error: MAX_MESSAGE_CHARS='0' is not allowed: expected a whole number >= 1"
    )
