"""The run command of the Rasa server: `rasa run` with production checks first.

    python -m addons.server.serve [--check] [any `rasa run` options]

Before Rasa starts it
* reads every setting once (`common.settings`): a bad value stops the start with
  one line naming the variable, its value (secrets masked) and what is allowed;
* refuses a Rasa version the compatibility patches were not tested with, then
  installs them (`addons.rasa_compat.install()`) and the log masking;
* refuses to start the HTTP API without a secret: the API is on when
  `RASA_ENABLE_API=true` (or `--enable-api` is given) and then needs
  `RASA_JWT_SECRET` (JWT, `Authorization: Bearer ...`, method `RASA_JWT_METHOD`,
  default HS256) and/or `RASA_AUTH_TOKEN` (`?token=...`). The secrets are handed
  to Rasa inside this process, so they never show in the process list;
* allows cross-origin requests only from the practice's `allowed_origins`
  (`practice.yml`), unless `--cors` is given;
* points the action endpoint at `ACTION_SERVER_URL` when it is set (a load
  balancer in front of several action servers, say);
* checks that the tracker database (`DATABASE_URL` or the SQLite file) and Redis
  (`REDIS_URL`, if set) answer, and otherwise stops with one line naming the
  setting;
* refuses `SANIC_WORKERS` > 1 without `REDIS_URL` (locks would not be shared);
* keeps the REST channel private: it is for integrations and testing, so the
  server refuses to listen beyond loopback (`--interface`, Rasa's default being
  0.0.0.0) with the REST channel on and no `REST_TOKEN`; `REST_CHANNEL=false`
  drops the channel from the credentials instead;
* turns Rasa's telemetry off.

`--check` runs the checks and exits (0 when all is well): `scripts/run.sh` uses
it before it starts anything; `make shell` starts a server of its own with it for
the command-line chat (`addons/shell/`). Exit codes: 2 a setting is wrong, 3 a
store cannot be reached.
"""

from __future__ import annotations

import atexit
import os
import sys
import tempfile
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from common.settings import Settings, SettingsError, load


class Refused(SystemExit):
    def __init__(self, message: str, code: int = 2) -> None:
        for line in message.splitlines() or [message]:
            print(f"error: {line}", file=sys.stderr)
        super().__init__(code)


def _has(args: Sequence[str], option: str) -> bool:
    return any(a == option or a.startswith(option + "=") for a in args)


def _settings(settings: Optional[Settings]) -> Settings:
    if settings is not None:
        return settings
    try:
        return load()
    except SettingsError as error:
        raise Refused(str(error)) from None


def api_arguments(args: Sequence[str], settings: Optional[Settings] = None) -> List[str]:
    """The options that turn the HTTP API on with its secret(s), or Refused.

    The API is asked for by `RASA_ENABLE_API=true`, `--enable-api`, or by setting
    one of its secrets (each at least 16 characters: `common.settings`)."""
    s = _settings(settings)
    in_args = _has(args, "--auth-token") or _has(args, "--jwt-secret")
    if not (s.api_wanted or _has(args, "--enable-api")):
        return []
    if not (s.rasa_jwt_secret or s.rasa_auth_token or in_args):
        raise Refused(
            "the HTTP API is on (RASA_ENABLE_API=true or --enable-api) but no secret is "
            "set: set RASA_JWT_SECRET or RASA_AUTH_TOKEN (refusing to start an open API)"
        )
    extra = [] if _has(args, "--enable-api") else ["--enable-api"]
    if s.rasa_jwt_secret and not _has(args, "--jwt-secret"):
        extra += ["--jwt-secret", s.rasa_jwt_secret, "--jwt-method", s.rasa_jwt_method]
    if s.rasa_auth_token and not _has(args, "--auth-token"):
        extra += ["--auth-token", s.rasa_auth_token]
    return extra


def cors_arguments(args: Sequence[str], settings: Optional[Settings] = None) -> List[str]:
    """`--cors` with the practice's allowed_origins, unless the caller set --cors."""
    if _has(args, "--cors"):
        return []
    from common.practice import PracticeError, allowed_origins, load_practice

    try:
        origins = allowed_origins(load_practice(_settings(settings).practice_file))
    except (PracticeError, ValueError) as error:
        raise Refused(f"practice settings: {error}") from None
    return ["--cors", *origins] if origins else []


def endpoints_arguments(args: List[str], settings: Optional[Settings] = None) -> List[str]:
    """Rewrites `--endpoints` to a copy whose action endpoint is ACTION_SERVER_URL."""
    url = _settings(settings).action_server_url
    if not url:
        return args
    import yaml

    args = list(args)
    if "--endpoints" in args:
        index = args.index("--endpoints") + 1
        source = Path(args[index])
    else:
        args += ["--endpoints", "endpoints.yml"]
        index, source = len(args) - 1, Path("endpoints.yml")
    config = (yaml.safe_load(source.read_text()) if source.exists() else None) or {}
    config.setdefault("action_endpoint", {})["url"] = url
    handle = tempfile.NamedTemporaryFile("w", prefix="endpoints-", suffix=".yml", delete=False)
    with handle:
        yaml.safe_dump(config, handle, sort_keys=False)
    atexit.register(lambda: Path(handle.name).unlink(missing_ok=True))
    args[index] = handle.name
    return args


LOOPBACK = ("127.", "::1", "localhost", "[::1]")
REST_CHANNEL_NAMES = ("rest", "addons.channels.rest.RestInput")


def _option(args: Sequence[str], *names: str) -> Optional[str]:
    for index, arg in enumerate(args):
        for name in names:
            if arg == name and index + 1 < len(args):
                return args[index + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def rest_arguments(args: List[str], settings: Optional[Settings] = None) -> List[str]:
    """Drops the REST channel when `REST_CHANNEL=false`; refuses to expose it open."""
    s = _settings(settings)
    source = Path(_option(args, "--credentials") or "credentials.yml")
    import yaml

    channels = (yaml.safe_load(source.read_text()) if source.exists() else None) or {}
    has_rest = any(name in channels for name in REST_CHANNEL_NAMES)
    if not has_rest:
        return args
    if not s.rest_channel:
        kept = {k: v for k, v in channels.items() if k not in REST_CHANNEL_NAMES}
        handle = tempfile.NamedTemporaryFile(
            "w", prefix="credentials-", suffix=".yml", delete=False
        )
        with handle:
            yaml.safe_dump(kept, handle, sort_keys=False)
        atexit.register(lambda: Path(handle.name).unlink(missing_ok=True))
        rest: List[str] = []
        skip = False
        for arg in args:
            if skip:
                skip = False
            elif arg == "--credentials":
                skip = True
            elif not arg.startswith("--credentials="):
                rest.append(arg)
        return [*rest, "--credentials", handle.name]
    interface = _option(args, "--interface", "-i") or "0.0.0.0"
    if not s.rest_token and not interface.startswith(LOOPBACK):
        raise Refused(
            f"the REST channel would be open to anyone on {interface}: set REST_TOKEN "
            "(integrations send it as 'Authorization: Bearer ...'), or REST_CHANNEL=false, "
            "or listen on 127.0.0.1"
        )
    return args


def check_workers(settings: Optional[Settings] = None) -> None:
    s = _settings(settings)
    if s.sanic_workers > 1 and not s.redis_url:
        raise Refused(
            "SANIC_WORKERS > 1 needs REDIS_URL (conversation locks and rate limits "
            "must be shared); or run one worker per server"
        )


def check_stores() -> None:
    from addons.server.database import StoreUnavailable, check_database, check_redis

    try:
        check_database()
        check_redis()
    except StoreUnavailable as error:
        raise Refused(str(error), code=3) from None


def check_rasa() -> None:
    from addons.rasa_compat import RasaVersionError, check_version

    try:
        check_version()
    except RasaVersionError as error:
        raise Refused(str(error)) from None


def prepare(args: Sequence[str]) -> Tuple[List[str], List[str]]:
    """Runs every check; returns (rasa run arguments, secret arguments)."""
    os.environ["RASA_TELEMETRY_ENABLED"] = "false"
    from common import settings as settings_module

    settings_module.reset()
    settings = _settings(None)
    args = list(args)
    secrets = api_arguments(args, settings)
    check_workers(settings)
    cors = cors_arguments(args, settings)
    check_rasa()
    check_stores()
    args = rest_arguments(args, settings)
    return endpoints_arguments(args, settings) + cors, secrets


def main(argv: Optional[Sequence[str]] = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    check_only = "--check" in argv
    argv = [a for a in argv if a != "--check"]
    args, secrets = prepare(argv)
    if check_only:
        return

    from addons import rasa_compat
    from addons.server import logging_filters

    logging_filters.install()
    rasa_compat.install()
    import rasa.__main__

    # Secrets go in after the process started: they are not on its command line.
    sys.argv = ["rasa", "run", *args, *secrets]
    rasa.__main__.main()


if __name__ == "__main__":
    main()
