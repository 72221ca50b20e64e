"""Staff console accounts from the command line.

    python -m addons.staff.console add-user --email ana@practice.com [--role admin]
    python -m addons.staff.console invite --email ben@practice.com [--role staff]
    python -m addons.staff.console list
    python -m addons.staff.console disable --email ben@practice.com
    python -m addons.staff.console enable --email ben@practice.com
    python -m addons.staff.console set-password --email ana@practice.com

    make staff-user EMAIL=ana@practice.com [ROLE=admin] [INVITE=1] [DISABLE=1]
    make staff-users

`add-user` and `set-password` read the password twice without echo (or, with
`--password-stdin`, one line from standard input, for scripts); it is never printed
or logged. `invite` prints a one-time link, `<STAFF_URL or RASA_URL>/staff/invite/<token>`,
valid 72 hours, where the person sets their own password. Works on the tracker
database (`DATABASE_URL`, else the SQLite file), so no server has to be running.
Every change is written to the console's audit log as `cli:<login>`.

Exit codes: 0 done, 1 refused, 2 bad arguments or settings, 3 database unreachable.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import datetime
from typing import Any, Optional, Sequence

from addons.staff.console import accounts, audit
from addons.staff.console.tables import ROLES, STAFF
from common.settings import SettingsError, current


class _Refused(Exception):
    """A message for standard error and exit code 1."""


def _open_database() -> Any:
    """The tracker database's engine; SystemExit(3) naming the setting when unreachable."""
    from addons.practice import db
    from addons.server.database import StoreUnavailable, database_url, safe_url

    url, setting = database_url()
    try:
        return db.engine()
    except StoreUnavailable as error:
        print(f"error: the database is not reachable: {error}", file=sys.stderr)
        raise SystemExit(3) from None
    except Exception as error:  # a driver error: name the setting, hide the password
        print(
            f"error: the database ({setting}: {safe_url(url)}) is not reachable: "
            f"{type(error).__name__}",
            file=sys.stderr,
        )
        raise SystemExit(3) from None


def _who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"


def _when(at: Optional[datetime]) -> str:
    return "" if at is None else at.strftime("%Y-%m-%d %H:%M UTC")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    if not sys.stdin.isatty():
        raise _Refused("no terminal to read the password from: use --password-stdin")
    first = getpass.getpass(f"Password (at least {accounts.MIN_PASSWORD_CHARS} characters): ")
    if len(first) < accounts.MIN_PASSWORD_CHARS:
        raise _Refused(f"the password must have at least {accounts.MIN_PASSWORD_CHARS} characters")
    second = getpass.getpass("The same password again: ")
    if second != first:
        raise _Refused("the two passwords differ: nothing changed")
    return first


def add_user(args: argparse.Namespace) -> int:
    password = _read_password(args.password_stdin)
    engine = _open_database()
    try:
        user_id = accounts.create_user(engine, args.email, password, role=args.role)
    except accounts.AccountError as error:
        raise _Refused(str(error)) from None
    email = accounts.normalize_email(args.email)
    audit.record(engine, _who(), "user_created", target=email, detail=args.role)
    print(f"Account #{user_id} created: {email} ({args.role}). Sign in at {_base()}/staff/")
    return 0


def set_password(args: argparse.Namespace) -> int:
    password = _read_password(args.password_stdin)
    engine = _open_database()
    email = accounts.normalize_email(args.email)
    try:
        found = accounts.set_password(engine, email, password)
    except accounts.AccountError as error:
        raise _Refused(str(error)) from None
    if not found:
        raise _Refused(f"there is no account {email}")
    audit.record(engine, _who(), "password_set", target=email)
    print(f"New password set for {email}; its sessions were signed out.")
    return 0


def _base() -> str:
    settings = current()
    return (settings.staff_url or settings.rasa_url).rstrip("/")


def invite(args: argparse.Namespace) -> int:
    engine = _open_database()
    try:
        token = accounts.invite(engine, args.email, role=args.role, created_by=_who())
    except accounts.AccountError as error:
        raise _Refused(str(error)) from None
    email = accounts.normalize_email(args.email)
    audit.record(engine, _who(), "user_invited", target=email, detail=args.role)
    print(
        f"Invitation for {email} ({args.role}), valid {accounts.INVITATION_HOURS} hours and "
        "once; send this link to them only:"
    )
    print(f"{_base()}/staff/invite/{token}")
    return 0


def list_users(_args: argparse.Namespace) -> int:
    engine = _open_database()
    users = accounts.list_users(engine)
    if not users:
        print("No staff accounts yet: make staff-user EMAIL=... ROLE=admin")
    for user in users:
        state = "active" if user.active else f"disabled {_when(user.disabled_at)}"
        since = _when(user.created_at)
        print(f"#{user.id:<4} {user.email:<40} {user.role:<6} {state:<28} since {since}")
    for invitation in accounts.pending_invitations(engine):
        until = _when(invitation.expires_at)
        print(f"invited {invitation.email:<38} {invitation.role:<6} link valid until {until}")
    return 0


def disable(args: argparse.Namespace) -> int:
    engine = _open_database()
    email = accounts.normalize_email(args.email)
    if accounts.get_user_by_email(engine, email) is None:
        raise _Refused(f"there is no account {email}")
    if not accounts.disable_user(engine, email):
        raise _Refused(f"{email} was disabled before: nothing changed")
    audit.record(engine, _who(), "user_disabled", target=email)
    print(f"{email} is disabled and signed out everywhere.")
    return 0


def enable(args: argparse.Namespace) -> int:
    engine = _open_database()
    email = accounts.normalize_email(args.email)
    if accounts.get_user_by_email(engine, email) is None:
        raise _Refused(f"there is no account {email}")
    if not accounts.enable_user(engine, email):
        raise _Refused(f"{email} is not disabled: nothing changed")
    audit.record(engine, _who(), "user_enabled", target=email)
    print(f"{email} can sign in again.")
    return 0


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(
        prog="python -m addons.staff.console",
        description="Staff console accounts, on the tracker database (DATABASE_URL, "
        "or the SQLite file TRACKER_SQLITE_PATH / var/tracker.db).",
    )
    commands = main_parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str, run: Any, email: bool = True) -> Any:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        if email:
            sub.add_argument("--email", required=True, help="the person's e-mail address")
        sub.set_defaults(run=run)
        return sub

    for name, help_text, run in (
        ("add-user", "create an account (the password typed twice, not shown)", add_user),
        ("set-password", "a new password for an account (signs it out)", set_password),
    ):
        sub = command(name, help_text, run)
        sub.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input (scripts)",
        )
        if name == "add-user":
            sub.add_argument("--role", choices=ROLES, default=STAFF)
    sub = command("invite", "a one-time link (72 h) for the person to set a password", invite)
    sub.add_argument("--role", choices=ROLES, default=STAFF)
    command("list", "every account", list_users, email=False)
    command("disable", "disable an account and sign it out everywhere", disable)
    command("enable", "let a disabled account sign in again", enable)
    return main_parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        current()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except _Refused as refused:
        print(f"error: {refused}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopped: nothing changed", file=sys.stderr)
        return 1
    except EOFError:
        print("\nerror: no password given: nothing changed", file=sys.stderr)
        return 1
