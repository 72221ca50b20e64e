"""The run command of the Rasa server: `rasa run`, with production checks first.

    python -m addons.serve [--check] [any `rasa run` options]

Before Rasa starts it
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
* turns Rasa's telemetry off and masks phone numbers and sender ids in the logs.

`--check` runs the checks and exits (0 when all is well): `scripts/run.sh` uses
it before it starts anything. Exit codes: 2 a setting is wrong, 3 a store
cannot be reached.
"""
from __future__ import annotations

import atexit
import os
import sys
import tempfile
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
TRUE = {"1", "true", "yes", "on"}


class Refused(SystemExit):
    def __init__(self, message: str, code: int = 2) -> None:
        print(f"error: {message}", file=sys.stderr)
        super().__init__(code)


def _flag(name: str) -> bool:
    return (os.environ.get(name) or "").strip().lower() in TRUE


def _has(args: Sequence[str], option: str) -> bool:
    return any(a == option or a.startswith(option + "=") for a in args)


def api_arguments(args: Sequence[str]) -> List[str]:
    """The options that turn the HTTP API on with its secret(s), or Refused.

    As in `scripts/run.sh`: the API is asked for by `RASA_ENABLE_API=true`,
    `--enable-api`, or by setting one of its secrets."""
    jwt_secret = (os.environ.get("RASA_JWT_SECRET") or "").strip()
    token = (os.environ.get("RASA_AUTH_TOKEN") or "").strip()
    in_args = _has(args, "--auth-token") or _has(args, "--jwt-secret")
    wanted = _flag("RASA_ENABLE_API") or _has(args, "--enable-api") or bool(jwt_secret or token)
    if not wanted:
        return []
    if not (jwt_secret or token or in_args):
        raise Refused("the HTTP API is on (RASA_ENABLE_API=true or --enable-api) but no secret is "
                      "set: set RASA_JWT_SECRET or RASA_AUTH_TOKEN (refusing to start an open API)")
    for name, value in (("RASA_JWT_SECRET", jwt_secret), ("RASA_AUTH_TOKEN", token)):
        if value and len(value) < 16:
            raise Refused(f"{name} is shorter than 16 characters: use a long random value")
    extra = [] if _has(args, "--enable-api") else ["--enable-api"]
    if jwt_secret and not _has(args, "--jwt-secret"):
        extra += ["--jwt-secret", jwt_secret,
                  "--jwt-method", os.environ.get("RASA_JWT_METHOD") or "HS256"]
    if token and not _has(args, "--auth-token"):
        extra += ["--auth-token", token]
    return extra


def cors_arguments(args: Sequence[str]) -> List[str]:
    """`--cors` with the practice's allowed_origins, unless the caller set --cors."""
    if _has(args, "--cors"):
        return []
    try:
        from addons.channels.origins import allowed_origins   # shared with the web widget
    except ImportError:
        from addons.replies import allowed_origins
    try:
        origins = allowed_origins()
    except (OSError, ValueError) as error:
        raise Refused(f"practice settings: {error}")
    return ["--cors", *origins] if origins else []


def endpoints_arguments(args: List[str]) -> List[str]:
    """Rewrites `--endpoints` to a copy whose action endpoint is ACTION_SERVER_URL."""
    url = (os.environ.get("ACTION_SERVER_URL") or "").strip()
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


def check_workers() -> None:
    raw = (os.environ.get("SANIC_WORKERS") or "1").strip()
    try:
        workers = int(raw)
    except ValueError:
        raise Refused(f"SANIC_WORKERS must be a whole number, not {raw!r}")
    if workers > 1 and not os.environ.get("REDIS_URL"):
        raise Refused("SANIC_WORKERS > 1 needs REDIS_URL (conversation locks and rate limits "
                      "must be shared); or run one worker per server")


def check_stores() -> None:
    from addons.database import StoreUnavailable, check_database, check_redis

    try:
        check_database()
        check_redis()
    except StoreUnavailable as error:
        raise Refused(str(error), code=3)


def prepare(args: Sequence[str]) -> Tuple[List[str], List[str]]:
    """Runs every check; returns (rasa run arguments, secret arguments)."""
    os.environ["RASA_TELEMETRY_ENABLED"] = "false"
    args = list(args)
    secrets = api_arguments(args)
    check_workers()
    cors = cors_arguments(args)
    check_stores()
    return endpoints_arguments(args) + cors, secrets


def main(argv: Optional[Sequence[str]] = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    check_only = "--check" in argv
    argv = [a for a in argv if a != "--check"]
    args, secrets = prepare(argv)
    if check_only:
        return

    from addons import logging_filters, resilience

    logging_filters.install()
    resilience.install()
    import rasa.__main__

    # Secrets go in after the process started: they are not on its command line.
    sys.argv = ["rasa", "run", *args, *secrets]
    rasa.__main__.main()


if __name__ == "__main__":
    main()
