"""The staff console on two Rasa servers sharing one real PostgreSQL database: a
session started on one server is valid on the other (a load balancer may send each
request anywhere), a change made through either is seen by both and audited, a
sign-out on one ends the session on both, and failed sign-ins through both count
towards one lock-out. The two servers start together, so they also create the
console's tables at the same time (each must come up)."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tests.addons.staff.console.test_console_security import WRONG, Client, form_field
from tests.helpers.live_servers import base_env, rasa_server, stop_all

pytestmark = pytest.mark.e2e
ADMIN = ("boss@example.test", "the boss's long password")
WORDS = "her lip is swollen and she has a fever"


@pytest.fixture(scope="module")
def cluster(postgres, tmp_path_factory):
    from tests.addons.staff.console.test_console_security import wait_console

    logs = tmp_path_factory.mktemp("staff_console_two")
    database = postgres.new_database(f"console_{uuid.uuid4().hex[:8]}")
    env = base_env(DATABASE_URL=database, SANIC_PROXIES_COUNT="1")
    for name in ("CLOCK_FILE", "STAFF_COOKIE_SECURE", "STAFF_SESSION_IDLE_MINUTES"):
        env.pop(name, None)
    credentials = logs / "credentials.yml"
    credentials.write_text(
        "addons.practice.channel.PracticeLoopInput:\n"
        "addons.staff.console.channel.StaffConsoleInput:\n"
    )
    servers = [rasa_server(logs, env, credentials=credentials) for _ in range(2)]
    try:
        for server in servers:
            server.start()
        for server in servers:
            wait_console(server)
        from addons.practice import alerts, db
        from addons.staff.console import accounts

        engine = db.engine(database)
        accounts.create_user(engine, *ADMIN, role="admin")
        alert_id = alerts.raise_alert(
            kind="red_flag",
            severity="urgent",
            conversation_id="rest:two-servers",
            channel="rest",
            words=WORDS,
            message_key="two-1",
            engine=engine,
            practice={},
        )
        yield {"servers": servers, "url": database, "alert_id": alert_id}
    finally:
        stop_all(*servers)


def test_a_session_from_one_server_works_on_the_other(cluster):
    from addons.practice import db
    from addons.staff.console import audit

    one, two = (server.port for server in cluster["servers"])
    first = Client(one, "10.2.0.1")
    page = first.get("/staff/login")
    signed = first.post(
        "/staff/login",
        {"csrf": form_field(page.body, "csrf"), "email": ADMIN[0], "password": ADMIN[1]},
    )
    assert signed.status == 303
    second = Client(two, "10.2.0.1")
    second.cookies = dict(first.cookies)

    inbox = second.get("/staff/")
    assert inbox.status == 200 and WORDS in inbox.body
    csrf = form_field(inbox.body, "csrf")
    handled = second.post(f"/staff/alerts/{cluster['alert_id']}/handled", {"csrf": csrf})
    assert handled.status == 303
    assert WORDS not in first.get("/staff/").body  # handled, on the first server too
    engine = db.engine(cluster["url"])
    with engine.connect() as connection:
        who = connection.execute(
            sa.select(db.alerts.c.handled_by).where(db.alerts.c.id == cluster["alert_id"])
        ).scalar()
    assert who == ADMIN[0]
    actions = [e.action for e in audit.recent(engine, 20) if e.user_email == ADMIN[0]]
    assert "sign_in" in actions and "alert_handled" in actions

    assert second.post("/staff/logout", {"csrf": csrf}).status == 303
    assert first.get("/staff/").status == 302  # signed out everywhere


def test_failed_sign_ins_on_both_servers_count_together(cluster):
    ports = [server.port for server in cluster["servers"]]
    statuses = []
    for attempt in range(5):
        client = Client(ports[attempt % 2], "10.2.0.2")
        statuses.append(client.sign_in(ADMIN[0], WRONG).status)
    assert statuses == [401, 401, 401, 401, 429]
    for port in ports:
        assert Client(port, "10.2.0.3").sign_in(*ADMIN).status == 429
