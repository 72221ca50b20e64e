"""Red-flag alerts without a Rasa server: the tracker database (SQLite in a temporary
folder), the SMS channel's real Twilio sender talking to the fake Twilio REST API on
loopback, and a real SMTP server (aiosmtpd) on loopback, with STARTTLS and a login.
Time is moved by passing `now=`; nothing waits for a real retry delay."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import logging
import re
import ssl
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
import sqlalchemy as sa
import yaml

from addons.practice import alerts, db, mail
from addons.practice.dispatcher import LoopContext
from common.gsm7 import is_gsm7
from common.paths import PROJECT_ROOT
from common.practice import PracticeError, on_call_contacts
from tests.helpers.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, TWILIO_NUMBER, FakeTwilio
from tests.helpers.smtp import Mailbox, smtp_server

ONCALL_SMS = "+15550001111"
ONCALL_EMAIL = "oncall@example.com"
SECOND_EMAIL = "jane.doe@example.org"
STAFF_URL = "https://staff.example.test"
UTC = dt.timezone.utc
# Monday 11 May 2026, 10:02 pm in New York (the practice's time zone): after hours.
EVENING = dt.datetime(2026, 5, 12, 2, 2, tzinfo=UTC)
TUESDAY_OPENING = dt.datetime(2026, 5, 12, 12, 0, tzinfo=UTC)  # 8:00 am EDT
WORDS = "his face is swollen up to his eye and he has a fever"
SESSION = "0123456789abcdef0123456789abcdef"


def self_signed(folder: Path):
    """A certificate for 127.0.0.1 (cert file, key file) and a client context trusting it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    client = ssl.create_default_context(cafile=str(cert_file))
    return cert_file, key_file, client


# --- fixtures -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def twilio():
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def sms_channel(twilio, tmp_path_factory):
    """The SMS channel as the server builds it (its sender is what alerts go through)."""
    from addons.channels.sms.connector import TwilioSettings, TwilioSmsInput
    from addons.channels.sms.store import SmsStore

    folder = tmp_path_factory.mktemp("sms")
    settings = TwilioSettings(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, number=TWILIO_NUMBER, api_url=twilio.url
    )
    store = SmsStore(f"sqlite:///{folder / 'sms.db'}")  # its own database, not the tracker's
    return TwilioSmsInput(settings, store=store, texts={"stop": "", "help": ""})


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = smtp_server(box)
    yield box, controller.port
    controller.stop()


@pytest.fixture
def practice():
    with open(PROJECT_ROOT / "practice.yml", encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    data["on_call"] = {"sms": [ONCALL_SMS], "email": [ONCALL_EMAIL]}
    return data


@pytest.fixture
def setup(tmp_path, monkeypatch, twilio, sms_channel, mailbox, practice):
    box, port = mailbox
    monkeypatch.setenv("SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("STAFF_URL", STAFF_URL)
    monkeypatch.setenv("LOG_MASK_SALT", "alerts-test-salt")
    monkeypatch.delenv("ALERT_EMAIL_FROM", raising=False)
    engine = db.engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    context = LoopContext(SimpleNamespace(ctx=SimpleNamespace(input_channels=[sms_channel])))
    return SimpleNamespace(
        engine=engine,
        practice=practice,
        twilio=twilio,
        box=box,
        port=port,
        context=context,
        job=alerts.AlertDeliveryJob(context, engine=engine, practice=practice),
        seen=len(twilio.to(ONCALL_SMS)),
    )


def raise_flag(setup, conversation, *, severity="emergency", words=WORDS, now=EVENING, key=None):
    return alerts.raise_alert(
        "red_flag",
        severity,
        conversation,
        conversation.partition(":")[0].replace("web", "webchat").replace("sms", "twilio"),
        words,
        key or f"m-{now.timestamp()}-{severity}",
        now=now,
        engine=setup.engine,
        practice=setup.practice,
    )


def run(job, now):
    asyncio.run(job.run_due(now))


def new_sms(setup):
    return setup.twilio.to(ONCALL_SMS)[setup.seen :]


def deliveries(setup, alert_id=None):
    table = db.deliveries
    query = sa.select(table).order_by(table.c.id)
    if alert_id is not None:
        query = query.where(table.c.alert_id == alert_id)
    with setup.engine.connect() as conn:
        return conn.execute(query).all()


def alert_rows(setup, conversation):
    table = db.alerts
    with setup.engine.connect() as conn:
        return conn.execute(
            sa.select(table).where(table.c.conversation_id == conversation).order_by(table.c.id)
        ).all()


# --- what staff read ------------------------------------------------------------------------
def test_a_web_red_flag_reaches_both_contacts_with_what_staff_need(setup):
    conversation = f"web:{SESSION}"
    alert_id = raise_flag(setup, conversation, severity="urgent")
    assert alert_id is not None
    assert [(d.medium, d.target, d.status) for d in deliveries(setup, alert_id)] == [
        ("sms", ONCALL_SMS, "pending"),
        ("email", ONCALL_EMAIL, "pending"),
    ]

    run(setup.job, EVENING)

    [text] = new_sms(setup)
    link = f"{STAFF_URL}/staff/alerts/{alert_id}"
    assert text.startswith("URGENT red flag, web, Mon 10:02 pm\nParent id#")
    assert f'"{WORDS}"' in text and text.endswith(link)
    assert SESSION not in text.replace(link, "")  # the session id only inside the link
    [message] = setup.box.wait_for(ONCALL_EMAIL, 1)
    assert message["subject"] == "[URGENT] Red flag: web conversation, 10:02 pm"
    assert message["from"] == "assistant@127.0.0.1"
    tag = re.search(r"Parent (id#[0-9a-f]{8})", text).group(1)
    body = message["body"]
    for fact in (
        "URGENT red flag",
        "Mon 11 May 2026, 10:02 pm EDT (practice time)",
        "Channel:   web",
        f"Parent:    {tag}",
        f'"{WORDS}"',
        link,
        "call the practice now",
    ):
        assert fact in body, fact
    assert SESSION not in body.replace(link, "")
    assert all(d.status == "sent" and d.sent_at for d in deliveries(setup, alert_id))

    run(setup.job, EVENING + dt.timedelta(minutes=1))  # nothing is sent twice
    assert len(new_sms(setup)) == 1 and len(setup.box.to(ONCALL_EMAIL)) == 1


def test_an_sms_parent_shows_two_digits_and_long_words_give_way(setup, monkeypatch):
    monkeypatch.setenv("ALERT_EMAIL_FROM", "Kids Dental alerts <alerts@kids.example>")
    phone = "+15551234567"
    words = (
        "\u201cHelp\u201d \U0001f622 his cheek is swollen, call me at 555-987-6543 "
        + "it keeps getting bigger and bigger " * 12
    )
    alert_id = raise_flag(setup, f"sms:{phone}", words=words)
    run(setup.job, EVENING)

    [text] = new_sms(setup)
    link = f"{STAFF_URL}/staff/alerts/{alert_id}"
    assert "5551234567" not in text and "234567" not in text  # not even in the link
    assert len(text) <= 320 and is_gsm7(text)
    assert text.startswith('EMERGENCY red flag, SMS, Mon 10:02 pm\nParent +***-**67: "')
    assert '"Help" his cheek is swollen, call me at +***-**43 it keeps' in text
    assert text.endswith(f'..."\n{link}')
    # no more than two digits of either number outside the link
    assert "1234567" not in text.replace(link, "") and "9876543" not in text
    [message] = setup.box.wait_for(ONCALL_EMAIL, 1)
    assert message["subject"] == "[EMERGENCY] Red flag: SMS conversation, 10:02 pm"
    assert message["from"] == "alerts@kids.example"
    assert "Parent:    +***-**67" in message["body"] and "911" in message["body"]
    assert "it keeps getting bigger and bigger " * 11 in message["body"]  # all, by e-mail
    assert "1234567" not in message["body"].replace(link, "")


# --- at most one alert per conversation per 30 minutes ---------------------------------------
def test_one_alert_per_conversation_per_half_hour_unless_more_severe(setup):
    conversation = "rest:parent-42"
    at = EVENING

    def flag(minutes, severity):
        return raise_flag(
            setup, conversation, severity=severity, now=at + dt.timedelta(minutes=minutes)
        )

    first = flag(0, "urgent")
    assert first is not None
    assert flag(10, "urgent") is None  # same severity within 30 minutes: recorded, not sent
    escalated = flag(12, "emergency")  # more severe: always alerts
    assert escalated is not None
    assert flag(20, "urgent") is None
    assert flag(31, "emergency") is None  # the emergency alert went out 19 minutes ago
    again = flag(43, "urgent")  # 31 minutes after the last alert
    assert again is not None
    # the same message seen twice (two servers, a retried save) is one alert
    key = "the-same-message"
    assert raise_flag(setup, "rest:other", key=key) is not None
    assert raise_flag(setup, "rest:other", key=key, now=at + dt.timedelta(minutes=45)) is None

    rows = alert_rows(setup, conversation)
    assert [(r.severity, r.deduped_by) for r in rows] == [
        ("urgent", None),
        ("urgent", first),
        ("emergency", None),
        ("urgent", escalated),
        ("emergency", escalated),
        ("urgent", None),
    ]
    assert len(alert_rows(setup, "rest:other")) == 1
    sent_for = {d.alert_id for d in deliveries(setup)}
    assert sent_for == {first, escalated, again, alert_rows(setup, "rest:other")[0].id}

    run(setup.job, at + dt.timedelta(minutes=45))
    texts = new_sms(setup)
    assert len(texts) == 4 and len(setup.box.wait_for(ONCALL_EMAIL, 4)) == 4
    assert sorted(t.split(" red flag")[0] for t in texts) == [
        "EMERGENCY",
        "EMERGENCY",
        "URGENT",
        "URGENT",
    ]


# --- callback requests: office hours, batched -------------------------------------------------
def test_callback_alerts_wait_for_the_office_and_go_as_one_message(setup):
    first = alerts.raise_alert(
        "callback",
        "callback",
        "sms:+15557654321",
        "twilio",
        "can someone call me",
        "cb-1",
        now=EVENING,
        engine=setup.engine,
        practice=setup.practice,
    )
    second = alerts.raise_alert(
        "callback",
        "ignored",
        f"web:{SESSION}",
        "webchat",
        "I want to talk to the dentist",
        "cb-2",
        now=EVENING + dt.timedelta(minutes=5),
        engine=setup.engine,
        practice=setup.practice,
    )
    assert first and second
    rows = deliveries(setup)
    assert {r.next_attempt_at.replace(tzinfo=UTC) for r in rows} == {TUESDAY_OPENING}

    run(setup.job, EVENING + dt.timedelta(minutes=10))  # after hours: nothing yet
    assert new_sms(setup) == [] and setup.box.to(ONCALL_EMAIL) == []

    run(setup.job, TUESDAY_OPENING)
    [text] = new_sms(setup)
    assert text.startswith("2 callback requests (call back):\n- SMS +***-**21, Mon 10:02 pm: ")
    assert "\n- web id#" in text and "Mon 10:07 pm" in text and len(text) <= 320
    [message] = setup.box.wait_for(ONCALL_EMAIL, 1)
    assert message["subject"] == "[CALLBACK] 2 callback requests"
    assert "can someone call me" in message["body"]
    assert "I want to talk to the dentist" in message["body"]
    assert all(r.status == "sent" for r in deliveries(setup))


# --- failures: retried, recorded, then an error naming the contact, masked ----------------------
def test_a_failing_contact_is_retried_then_failed_and_logged_masked(setup, caplog):
    setup.practice["on_call"]["email"] = [SECOND_EMAIL]
    setup.box.refuse.add(SECOND_EMAIL)
    setup.twilio.fail_next(ONCALL_SMS, 400, 21211, times=4)  # Twilio refuses: not retried there
    alert_id = raise_flag(setup, "rest:failing")
    caplog.set_level(logging.INFO, logger="addons")

    at = EVENING
    for attempt, wait in enumerate([10, 60, 300], start=1):
        run(setup.job, at)
        rows = deliveries(setup, alert_id)
        assert [(r.status, r.attempts) for r in rows] == [("pending", attempt)] * 2
        retry_at = at + dt.timedelta(seconds=wait)
        assert {r.next_attempt_at.replace(tzinfo=UTC) for r in rows} == {retry_at}
        requests = setup.twilio.requests
        run(setup.job, retry_at - dt.timedelta(seconds=1))  # not due yet: nothing is tried
        assert setup.twilio.requests == requests
        at = retry_at
    run(setup.job, at)

    rows = deliveries(setup, alert_id)
    assert [(r.status, r.attempts) for r in rows] == [("failed", 4)] * 2
    assert "Twilio did not send it" in rows[0].last_error
    assert "550" in rows[1].last_error and SECOND_EMAIL not in rows[1].last_error
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("SMS to +***-**11 failed after 4 attempt(s)" in e for e in errors), errors
    assert any("e-mail to j***@example.org failed after 4 attempt(s)" in e for e in errors)
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert ONCALL_SMS not in everything and SECOND_EMAIL not in everything
    assert "5550001111" not in everything
    assert new_sms(setup) == [] and setup.box.messages == []


def test_a_contact_that_recovers_gets_the_alert_once(setup):
    setup.twilio.fail_next(ONCALL_SMS, 400, 21211)  # refused once
    alert_id = raise_flag(setup, "rest:recovers")
    run(setup.job, EVENING)
    [sms_row, email_row] = deliveries(setup, alert_id)
    assert (sms_row.status, sms_row.attempts, email_row.status) == ("pending", 1, "sent")
    run(setup.job, EVENING + dt.timedelta(seconds=10))
    assert len(new_sms(setup)) == 1
    assert deliveries(setup, alert_id)[0].status == "sent"


def test_missing_channels_fail_at_once_with_the_reason(setup, monkeypatch, caplog):
    monkeypatch.delenv("SMTP_URL")
    no_sms = LoopContext(SimpleNamespace(ctx=SimpleNamespace(input_channels=[])))
    job = alerts.AlertDeliveryJob(no_sms, engine=setup.engine, practice=setup.practice)
    alert_id = raise_flag(setup, "rest:no-channels")
    with caplog.at_level(logging.INFO, logger="addons"):
        run(job, EVENING)
    rows = deliveries(setup, alert_id)
    assert [(r.status, r.attempts, r.last_error) for r in rows] == [
        ("failed", 1, "SMS channel is off"),
        ("failed", 1, "SMTP_URL is not set"),
    ]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert (
        sum("SMTP_URL is not set" in e for e in errors) == 2
    )  # the setting once, the contact once
    assert any("o***@example.com" in e for e in errors)


# --- one delivery, one sender: claims --------------------------------------------------------
def test_two_jobs_on_one_database_send_each_alert_once(setup, sms_channel):
    other = alerts.AlertDeliveryJob(
        LoopContext(SimpleNamespace(ctx=SimpleNamespace(input_channels=[sms_channel]))),
        engine=setup.engine,
        practice=setup.practice,
        server_id="other-server",
    )
    setup.twilio.delay = 0.2  # sends overlap
    try:
        for round_ in range(3):
            at = EVENING + dt.timedelta(hours=round_)
            for index in range(4):
                raise_flag(setup, f"rest:claims-{round_}-{index}", now=at)

            async def both(at=at):
                await asyncio.gather(setup.job.run_due(at), other.run_due(at))

            asyncio.run(both())
    finally:
        setup.twilio.delay = 0.0
    texts = new_sms(setup)
    assert len(texts) == 12 and len(set(texts)) == 12
    assert len(setup.box.to(ONCALL_EMAIL)) == 12  # each accepted before its send returned
    rows = deliveries(setup)
    assert all(r.status == "sent" and r.attempts == 1 for r in rows)
    assert {r.claimed_by for r in rows} <= {setup.job.server_id, "other-server"}

    # claims racing in threads (as on several servers) split the due deliveries
    later = EVENING + dt.timedelta(hours=5)
    for index in range(20):
        raise_flag(setup, f"rest:race-{index}", now=later)
    jobs = [
        alerts.AlertDeliveryJob(setup.context, engine=setup.engine, server_id=f"s{n}")
        for n in range(4)
    ]
    with ThreadPoolExecutor(4) as pool:
        claims = list(pool.map(lambda job: [d.id for d in job.claim(later)], jobs))
    claimed = [delivery for claim in claims for delivery in claim]
    assert len(claimed) == len(set(claimed)) == 40


def test_a_delivery_left_sending_is_failed_not_resent(setup, caplog):
    alert_id = raise_flag(setup, "rest:server-died")
    claimed = setup.job.claim(EVENING)  # a server claims them, then dies before sending
    assert {d.alert.id for d in claimed} == {alert_id}
    other = alerts.AlertDeliveryJob(setup.context, engine=setup.engine, practice=setup.practice)
    run(other, EVENING + dt.timedelta(minutes=9))
    assert {r.status for r in deliveries(setup, alert_id)} == {"sending"}
    with caplog.at_level(logging.ERROR, logger="addons"):
        run(other, EVENING + dt.timedelta(minutes=11))
    rows = deliveries(setup, alert_id)
    assert {r.status for r in rows} == {"failed"} and "not resent" in rows[0].last_error
    assert new_sms(setup) == [] and setup.box.messages == []
    assert any("+***-**11" in r.getMessage() for r in caplog.records)


# --- raising never breaks the parent's turn --------------------------------------------------
def test_bad_contacts_or_a_broken_database_never_raise(setup, tmp_path, caplog):
    setup.practice["on_call"] = {"sms": ["555-0100"], "email": []}
    caplog.set_level(logging.INFO, logger="addons")
    with caplog.at_level(logging.ERROR, logger="addons"):
        alert_id = raise_flag(setup, "rest:bad-contacts")
    assert alert_id is not None and deliveries(setup, alert_id) == []  # recorded, for no one
    assert any("on_call.sms[0]" in r.getMessage() for r in caplog.records)

    (tmp_path / "not-a-db").mkdir()
    broken = sa.create_engine(f"sqlite:///{tmp_path / 'not-a-db'}")
    caplog.clear()
    assert (
        alerts.raise_alert(
            "red_flag",
            "urgent",
            "rest:x",
            "rest",
            WORDS,
            "k",
            now=EVENING,
            engine=broken,
            practice=setup.practice,
        )
        is None
    )
    error = caplog.records[-1]
    assert "recording a red_flag alert (id#" in error.getMessage()
    assert "OperationalError (unable to open database file)" in error.getMessage()
    assert WORDS not in caplog.text and "rest:x" not in caplog.text  # no SQL parameters


def test_on_call_contacts_are_validated_naming_the_setting():
    assert on_call_contacts({}) == ([], [])
    assert on_call_contacts({"on_call": {"sms": [], "email": None}}) == ([], [])
    assert on_call_contacts(
        {"on_call": {"sms": ["+15550001111", "+15550001111"], "email": " a@b.example "}}
    ) == (["+15550001111"], ["a@b.example"])
    for bad, setting in [
        ({"sms": ["(555) 000-1111"]}, "on_call.sms[0]"),
        ({"email": ["oncall.example.com"]}, "on_call.email[0]"),
        ({"email": ["a@b@c"]}, "on_call.email[0]"),
        ({"pager": ["1"]}, "on_call: unknown setting(s) pager"),
        (["+15550001111"], "on_call: a mapping"),
    ]:
        with pytest.raises(PracticeError, match=re.escape(setting)):
            on_call_contacts({"on_call": bad})


# --- e-mail: STARTTLS and a login, implicit TLS, no password in clear -------------------------
def test_starttls_is_used_when_offered_and_the_login_goes_over_it(setup, tmp_path, monkeypatch):
    from aiosmtpd.smtp import AuthResult

    cert_file, key_file, client_context = self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(str(cert_file), str(key_file))
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login, auth_data.password) == (b"alerts", b"p@ss word")
        logins.append((mechanism, session.ssl is not None, ok))
        return AuthResult(success=ok, auth_data=auth_data)

    box = Mailbox()
    controller = smtp_server(
        box,
        tls_context=server_context,
        require_starttls=True,
        auth_required=True,
        authenticator=authenticator,
    )
    try:
        monkeypatch.setenv(
            "SMTP_URL", f"smtp://alerts:{quote('p@ss word', safe='')}@127.0.0.1:{controller.port}"
        )
        job = alerts.AlertDeliveryJob(
            setup.context, engine=setup.engine, practice=setup.practice, tls_context=client_context
        )
        alert_id = raise_flag(setup, "rest:tls")
        run(job, EVENING)
        [message] = box.wait_for(ONCALL_EMAIL, 1)
        assert message["tls"] and message["login"] == b"alerts"
        assert logins and all(over_tls and ok for _, over_tls, ok in logins)
        assert {r.status for r in deliveries(setup, alert_id)} == {"sent"}

        # the system's authorities do not know this certificate: refused, not sent in clear
        with pytest.raises(ssl.SSLError):
            mail.send_mail(
                f"smtp://127.0.0.1:{controller.port}", "a@b.example", ONCALL_EMAIL, "s", "b"
            )
    finally:
        controller.stop()


def test_smtps_and_no_password_without_tls(tmp_path, mailbox):
    cert_file, key_file, client_context = self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(str(cert_file), str(key_file))
    box = Mailbox()
    controller = smtp_server(box, ssl_context=server_context)  # TLS from the first byte
    try:
        mail.send_mail(
            f"smtps://127.0.0.1:{controller.port}",
            "assistant@example.test",
            ONCALL_EMAIL,
            "[URGENT] test",
            "body",
            tls_context=client_context,
        )
        [message] = box.wait_for(ONCALL_EMAIL, 1)
        assert message["tls"] and message["subject"] == "[URGENT] test"
    finally:
        controller.stop()

    plain, port = mailbox  # offers no STARTTLS
    with pytest.raises(mail.MailError, match="no STARTTLS"):
        mail.send_mail(
            f"smtp://user:secret@127.0.0.1:{port}", "a@b.example", ONCALL_EMAIL, "s", "b"
        )
    assert plain.messages == []
    assert mail.mask_address("jane.doe@example.org") == "j***@example.org"
    assert mail.default_sender("smtps://u:p@mail.example.org:465") == "assistant@mail.example.org"


# --- PostgreSQL: the same rules, claims with FOR UPDATE SKIP LOCKED ---------------------------
def test_on_postgresql_alerts_are_deduped_and_each_delivery_sent_once(setup, postgres):
    engine = db.engine(postgres.new_database(f"alerts_{uuid.uuid4().hex[:8]}"))
    on_pg = SimpleNamespace(**{**vars(setup), "engine": engine})
    assert raise_flag(on_pg, "rest:pg", severity="urgent") is not None
    assert raise_flag(on_pg, "rest:pg", now=EVENING + dt.timedelta(minutes=5)) is not None
    assert raise_flag(on_pg, "rest:pg", now=EVENING + dt.timedelta(minutes=6)) is None
    for index in range(18):
        raise_flag(on_pg, f"rest:pg-{index}")
    jobs = [
        alerts.AlertDeliveryJob(
            setup.context, engine=engine, practice=setup.practice, server_id=f"s{n}"
        )
        for n in range(4)
    ]
    later = EVENING + dt.timedelta(minutes=7)
    with ThreadPoolExecutor(4) as pool:
        claims = list(pool.map(lambda job: [d.id for d in job.claim(later)], jobs[:2]))
    claimed = [delivery for claim in claims for delivery in claim]
    assert len(claimed) == len(set(claimed)) == 40

    # those two "servers" died mid-send; the next alerts go out once, from two servers
    for index in range(6):
        raise_flag(on_pg, f"rest:pg-late-{index}", now=later)

    async def both():
        await asyncio.gather(jobs[2].run_due(later), jobs[3].run_due(later))

    asyncio.run(both())
    assert len(new_sms(setup)) == 6 and len(setup.box.to(ONCALL_EMAIL)) == 6
    rows = deliveries(on_pg)
    assert sum(r.status == "sent" for r in rows) == 12
    assert {r.next_attempt_at.tzinfo is not None for r in rows} == {True}  # timestamptz
