"""The staff console: the practice's people act on alerts, callbacks, check-ins and
conversations in a browser at `/staff/`, behind a real sign-in.

Served by the Rasa server itself (`channel.py`, `StaffConsoleInput`, listed in
credentials.yml; pages in `web.py`, `templates/`, `static/`). Everything it keeps is
in the tracker database beside the practice loop's tables (`tables.py` on
`addons.practice.db.metadata`), so any number of Rasa servers on one PostgreSQL
share the accounts, the sessions, the sign-in throttle and the audit log:

* `accounts.py`: staff accounts (roles staff and admin), passwords hashed with
  argon2id (argon2-cffi), one-time invitation links, sign-in;
* `sessions.py`: sign-in sessions: a random token in an HttpOnly cookie, only its
  SHA-256 stored; ended after `STAFF_SESSION_IDLE_MINUTES` without a request and
  12 hours after sign-in; each carries its CSRF token;
* `throttle.py`: failed sign-ins per account and per address, a lock-out that says
  when to try again;
* `audit.py`: who signed in, failed, was locked out, revealed a number or changed
  anything;
* `cli.py` (`python -m addons.staff.console`, `make staff-user`): accounts from the
  command line, the password read without echo.

Passwords, session and CSRF tokens are never logged or shown; times are UTC
(`common.clock.now()`, which tests move with `CLOCK_FILE` or `now=`).
"""
