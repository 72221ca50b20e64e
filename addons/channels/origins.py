"""The web origins allowed to embed the chat widget, from the practice settings.

Both the Socket.IO channel (`addons.channels.webchat`) and the HTTP CORS settings
(`scripts/run.sh` passes them to `rasa run --cors`) read the same list, so a
practice edits one place: `allowed_origins` in practice.yml (or PRACTICE_FILE).

`python -m addons.channels.origins` prints them, one a line.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional
from urllib.parse import urlsplit

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PRACTICE_FILE = PROJECT_ROOT / "practice.yml"
DEFAULT_PORTS = {"http": 80, "https": 443}


def practice_path() -> Path:
    return Path(os.environ.get("PRACTICE_FILE") or DEFAULT_PRACTICE_FILE)


def load_practice(path: Optional[Path] = None) -> Dict[str, Any]:
    path = Path(path or practice_path())
    with open(path, encoding="utf-8") as handle:
        practice = yaml.safe_load(handle) or {}
    if not isinstance(practice, dict):
        raise ValueError(f"{path}: practice settings must be a mapping")
    return practice


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
    if ":" in host:                     # IPv6 literal
        host = f"[{host}]"
    if port and port != DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}:{port}"
    return f"{parts.scheme}://{host}"


def allowed_origins(practice: Optional[Dict[str, Any]] = None) -> List[str]:
    practice = load_practice() if practice is None else practice
    raw = practice.get("allowed_origins") or []
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise ValueError("allowed_origins must be a list of origins")
    return list(dict.fromkeys(normalize_origin(item) for item in raw))


if __name__ == "__main__":
    try:
        print("\n".join(allowed_origins()))
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f"error: {practice_path()}: {exc}", file=sys.stderr)
        sys.exit(1)
