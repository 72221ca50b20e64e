"""Every environment variable the assistant reads, read once into one frozen object.

    from common.settings import current
    current().rate_limit_per_minute

`current()` reads the environment the first time it is called (the run command
calls it before anything starts) and keeps the result for the life of the
process. One policy for a bad value: `SettingsError`, whose message has one line
per bad variable naming it, its value (secrets masked) and what is allowed; the
run command prints it and refuses to start. An unset or empty variable takes its
default.

`SPECS` is the list of variables; `docs/settings.md` documents each of them, and a
test fails when the two differ or when code outside this module reads the
environment. (`scripts/run.sh` reads three more for itself: `RASA_PORT`,
`ACTIONS_PORT`, `MODEL`; they are documented in the same table.)
"""

from __future__ import annotations

import functools
import os
import secrets as _secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from common.paths import (
    DEFAULT_PRACTICE_FILE,
    DEFAULT_SHELL_HISTORY,
    DEFAULT_SMS_STATE_FILE,
    DEFAULT_TRACKER_SQLITE,
)

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})
JWT_METHODS = ("HS256", "HS384", "HS512")
DEFAULT_TWILIO_API_URL = "https://api.twilio.com"


class SettingsError(ValueError):
    """One or more environment variables have values that are not allowed."""


# --- parsers: text -> value, or ValueError with what is allowed -------------------
def _text(raw: str) -> str:
    return raw


def _path(raw: str) -> Path:
    return Path(raw).expanduser()


def _flag(raw: str) -> bool:
    value = raw.lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValueError("true or false (also 1/0, yes/no, on/off)")


def _whole(minimum: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"a whole number >= {minimum}") from None
        if value < minimum:
            raise ValueError(f"a whole number >= {minimum}")
        return value

    return parse


def _seconds(minimum: float, positive: bool) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        allowed = "a number of seconds " + ("> 0" if positive else f">= {minimum:g}")
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(allowed) from None
        if value != value or value < minimum or (positive and value <= 0):
            raise ValueError(allowed)
        return value

    return parse


def _url(*schemes: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        parts = urlsplit(raw)
        if parts.scheme not in schemes or not parts.netloc:
            raise ValueError("a URL starting with " + " or ".join(f"{s}://" for s in schemes))
        return raw.rstrip("/") if parts.scheme.startswith("http") else raw

    return parse


def _database_url(raw: str) -> str:
    """A SQLAlchemy URL; whether it can be reached is the start-up check's question."""
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw[len("postgres://") :]
    return raw


def _secret(minimum: int) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if len(raw) < minimum:
            raise ValueError(f"at least {minimum} characters")
        return raw

    return parse


def _language(raw: str) -> str:
    """A locale such as es_US.UTF-8 or "es": Spanish; anything else: English."""
    return "es" if raw.lower().startswith("es") else "en"


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw.lower() not in allowed:
            raise ValueError("one of " + ", ".join(allowed))
        return raw.lower()

    return parse


def _jwt_method(raw: str) -> str:
    if raw not in JWT_METHODS:
        raise ValueError("one of " + ", ".join(JWT_METHODS))
    return raw


@dataclass(frozen=True)
class Spec:
    """One environment variable: the field it fills, how it is read, its default."""

    env: str
    field: str
    parse: Callable[[str], Any]
    default: Any
    secret: bool = False


SPECS: Tuple[Spec, ...] = (
    # the practice
    Spec("PRACTICE_FILE", "practice_file", _path, DEFAULT_PRACTICE_FILE),
    # conversation stores
    Spec("DATABASE_URL", "database_url", _database_url, "", secret=True),
    Spec("TRACKER_SQLITE_PATH", "tracker_sqlite_path", _path, None),
    Spec("POSTGRESQL_SCHEMA", "postgresql_schema", _text, ""),
    Spec("DATABASE_WAIT_SECONDS", "database_wait_seconds", _seconds(0, False), 15.0),
    Spec("REDIS_URL", "redis_url", _url("redis", "rediss", "unix"), "", secret=True),
    Spec("TRACKER_CACHE_SIZE", "tracker_cache_size", _whole(0), 2000),
    # the Rasa server
    Spec("ACTION_SERVER_URL", "action_server_url", _url("http", "https"), ""),
    Spec("ACTION_TIMEOUT_SECONDS", "action_timeout_seconds", _seconds(0, True), 10.0),
    Spec("RATE_LIMIT_PER_MINUTE", "rate_limit_per_minute", _whole(0), 30),
    Spec("RATE_LIMIT_PER_ADDRESS_PER_MINUTE", "rate_limit_per_address_per_minute", _whole(0), 120),
    Spec("MAX_MESSAGE_CHARS", "max_message_chars", _whole(1), 5000),
    Spec("SANIC_WORKERS", "sanic_workers", _whole(1), 1),
    Spec("LOG_MASK_SALT", "log_mask_salt", _text, None, secret=True),
    # the REST channel (integrations and testing)
    Spec("REST_CHANNEL", "rest_channel", _flag, True),
    Spec("REST_TOKEN", "rest_token", _secret(16), "", secret=True),
    # Rasa's HTTP API
    Spec("RASA_ENABLE_API", "rasa_enable_api", _flag, False),
    Spec("RASA_AUTH_TOKEN", "rasa_auth_token", _secret(16), "", secret=True),
    Spec("RASA_JWT_SECRET", "rasa_jwt_secret", _secret(16), "", secret=True),
    Spec("RASA_JWT_METHOD", "rasa_jwt_method", _jwt_method, "HS256"),
    Spec("RASA_URL", "rasa_url", _url("http", "https"), "http://localhost:5005"),
    # SMS through Twilio
    Spec("TWILIO_ACCOUNT_SID", "twilio_account_sid", _text, ""),
    Spec("TWILIO_AUTH_TOKEN", "twilio_auth_token", _text, "", secret=True),
    Spec("TWILIO_NUMBER", "twilio_number", _text, ""),
    Spec("TWILIO_MESSAGING_SERVICE_SID", "twilio_messaging_service_sid", _text, ""),
    Spec("TWILIO_WEBHOOK_URL", "twilio_webhook_url", _url("http", "https"), ""),
    Spec("TWILIO_API_URL", "twilio_api_url", _url("http", "https"), DEFAULT_TWILIO_API_URL),
    Spec("SMS_STATE_FILE", "sms_state_file", _path, DEFAULT_SMS_STATE_FILE),
    # the practice loop: alerts, callbacks, scheduled check-ins (addons/practice/)
    Spec("SMTP_URL", "smtp_url", _url("smtp", "smtps"), "", secret=True),
    Spec("ALERT_EMAIL_FROM", "alert_email_from", _text, ""),
    Spec("STAFF_URL", "staff_url", _url("http", "https"), ""),
    # the staff console (addons/staff/console/)
    Spec("STAFF_SESSION_IDLE_MINUTES", "staff_session_idle_minutes", _whole(1), 30),
    Spec("STAFF_COOKIE_SECURE", "staff_cookie_secure", _flag, False),
    Spec("DISPATCH_INTERVAL_SECONDS", "dispatch_interval_seconds", _seconds(0, True), 5.0),
    Spec("CLOCK_FILE", "clock_file", _path, None),
    # the command-line chat (`make shell`)
    Spec("SHELL_TOKEN", "shell_token", _secret(16), "", secret=True),
    Spec("SHELL_URL", "shell_url", _url("http", "https"), "http://127.0.0.1:5006"),
    Spec("CHANNEL", "shell_channel", _choice("web", "sms"), "web"),
    Spec("SHELL_HISTORY", "shell_history", _path, DEFAULT_SHELL_HISTORY),
    # The tester's locale: es_* starts the command-line chat in Spanish.
    Spec("LANG", "shell_language", _language, "en"),
)


@dataclass(frozen=True)
class Settings:
    practice_file: Path
    database_url: str
    tracker_sqlite_path: Optional[Path]
    postgresql_schema: str
    database_wait_seconds: float
    redis_url: str
    tracker_cache_size: int
    action_server_url: str
    action_timeout_seconds: float
    rate_limit_per_minute: int
    rate_limit_per_address_per_minute: int
    max_message_chars: int
    sanic_workers: int
    log_mask_salt: Optional[str]
    rest_channel: bool
    rest_token: str
    rasa_enable_api: bool
    rasa_auth_token: str
    rasa_jwt_secret: str
    rasa_jwt_method: str
    rasa_url: str
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_number: str
    twilio_messaging_service_sid: str
    twilio_webhook_url: str
    twilio_api_url: str
    sms_state_file: Path
    smtp_url: str
    alert_email_from: str
    staff_url: str
    staff_session_idle_minutes: int
    staff_cookie_secure: bool
    dispatch_interval_seconds: float
    clock_file: Optional[Path]
    shell_token: str
    shell_url: str
    shell_channel: str
    shell_history: Path
    shell_language: str

    # --- derived values ----------------------------------------------------------
    @property
    def tracker_url(self) -> Tuple[str, str]:
        """(SQLAlchemy URL of the tracker store, the setting it came from)."""
        if self.database_url:
            return self.database_url, "DATABASE_URL"
        if self.tracker_sqlite_path is not None:
            path, where = self.tracker_sqlite_path, "TRACKER_SQLITE_PATH"
        else:
            path, where = DEFAULT_TRACKER_SQLITE, "the default SQLite file"
        return f"sqlite:///{path.expanduser().resolve()}", where

    @property
    def api_wanted(self) -> bool:
        """The HTTP API is asked for: explicitly, or by setting one of its secrets."""
        return self.rasa_enable_api or bool(self.rasa_auth_token or self.rasa_jwt_secret)

    @property
    def mask_salt(self) -> bytes:
        return (self.log_mask_salt or _process_salt()).encode()


@functools.lru_cache(maxsize=1)
def _process_salt() -> str:
    return _secrets.token_hex(16)


def _shown(spec: Spec, raw: str) -> str:
    if spec.secret:
        return "'***'" if len(raw) <= 4 else f"'{raw[:2]}***' ({len(raw)} characters)"
    return repr(raw if len(raw) <= 80 else raw[:77] + "...")


def load(environ: Optional[Mapping[str, str]] = None) -> Settings:
    """Reads every variable from `environ` (default: the process environment)."""
    environ = os.environ if environ is None else environ
    values: Dict[str, Any] = {}
    errors: List[str] = []
    for spec in SPECS:
        raw = (environ.get(spec.env) or "").strip()
        if not raw:
            values[spec.field] = spec.default
            continue
        try:
            values[spec.field] = spec.parse(raw)
        except ValueError as exc:
            errors.append(f"{spec.env}={_shown(spec, raw)} is not allowed: expected {exc}")
    if errors:
        raise SettingsError("\n".join(errors))
    return Settings(**values)


@functools.lru_cache(maxsize=1)
def current() -> Settings:
    """The process's settings, read from the environment on the first call."""
    return load()


def reset() -> None:
    """Forgets the settings read so far (tests that change the environment)."""
    current.cache_clear()


def env_names() -> List[str]:
    return [spec.env for spec in SPECS]
