"""The practice's settings (`practice.yml`, or the file `PRACTICE_FILE` names).

One loader and one validation for every reader: the knowledge module fills
answers with these values, the web channel and the run command take the allowed
web origins from here. A bad file raises `PracticeError` naming the file and the
setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

import yaml

from common.paths import DEFAULT_PRACTICE_FILE
from common.phones import is_e164

REQUIRED_FIELDS = ("name", "phone", "after_hours", "hours", "booking_url", "website")
DEFAULT_PORTS = {"http": 80, "https": 443}


class PracticeError(ValueError):
    """The practice settings cannot be used; the message names the file and setting."""


def normalize_origin(value: Any) -> str:
    """`scheme://host[:port]` as a browser sends it in the Origin header.

    Raises ValueError for anything else (a path, a wildcard, another scheme), so
    a typo in the settings stops the server instead of opening or closing it.
    """
    text = str(value or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"allowed_origins: {text!r} is not an http(s) origin")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(f"allowed_origins: {text!r} must be scheme://host[:port] only")
    if "*" in text:
        raise ValueError(f"allowed_origins: {text!r}: wildcards are not allowed")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"allowed_origins: {text!r} has a bad port") from exc
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port and port != DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}:{port}"
    return f"{parts.scheme}://{host}"


def allowed_origins(practice: Dict[str, Any]) -> List[str]:
    """The practice's `allowed_origins`, normalised (ValueError on a bad one)."""
    raw = practice.get("allowed_origins") or []
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise ValueError("allowed_origins must be a list of origins")
    return list(dict.fromkeys(normalize_origin(item) for item in raw))


def practice_path(path: Optional[Path] = None) -> Path:
    """The practice file in use: `path`, else the PRACTICE_FILE setting, else the default."""
    if path is None:
        from common.settings import current

        path = current().practice_file
    return Path(path or DEFAULT_PRACTICE_FILE)


def load_practice(path: Optional[Path] = None) -> Dict[str, Any]:
    """Reads and validates the practice settings; raises PracticeError."""
    path = practice_path(path)
    try:
        with open(path, encoding="utf-8") as handle:
            practice = yaml.safe_load(handle) or {}
    except FileNotFoundError as exc:
        raise PracticeError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise PracticeError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(practice, dict):
        raise PracticeError(f"{path}: practice settings must be a mapping")
    missing = [f for f in REQUIRED_FIELDS if not str(practice.get(f) or "").strip()]
    if missing:
        raise PracticeError(f"{path}: practice setting(s) missing: {', '.join(missing)}")
    try:
        allowed_origins(practice)
    except ValueError as exc:
        raise PracticeError(f"{path}: {exc}") from exc
    from common.hours import PracticeHours  # hours import this module's error

    try:
        PracticeHours.from_practice(practice)
    except PracticeError as exc:
        raise PracticeError(f"{path}: {exc}") from exc
    return practice


def on_call_contacts(practice: Dict[str, Any]) -> Tuple[List[str], List[str]]:
    """The practice's on-call contacts, `on_call: {sms: [...], email: [...]}`: (E.164
    numbers to text, e-mail addresses), each list possibly empty (both when the setting
    is missing). Raises PracticeError naming the setting for anything else, so a typo
    is found instead of an alert silently going nowhere."""
    raw = practice.get("on_call")
    if raw is None:
        return [], []
    if not isinstance(raw, dict):
        raise PracticeError("on_call: a mapping like {sms: ['+15550100123'], email: []}")
    unknown = sorted(str(key) for key in raw if key not in ("sms", "email"))
    if unknown:
        raise PracticeError(f"on_call: unknown setting(s) {', '.join(unknown)} (sms, email)")
    found: Dict[str, List[str]] = {}
    for key in ("sms", "email"):
        values = raw.get(key) or []
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list):
            raise PracticeError(f"on_call.{key}: a list")
        cleaned = []
        for index, value in enumerate(values):
            text = str(value or "").strip()
            if key == "sms" and not is_e164(text):
                raise PracticeError(
                    f"on_call.sms[{index}]: {text!r} is not an E.164 number like +15550100123"
                )
            if key == "email":
                local, at, domain = text.partition("@")
                if not (local and at and domain) or "@" in domain or any(c.isspace() for c in text):
                    raise PracticeError(
                        f"on_call.email[{index}]: {text!r} is not an e-mail address"
                        " like oncall@example.com"
                    )
            cleaned.append(text)
        found[key] = list(dict.fromkeys(cleaned))
    return found["sms"], found["email"]
