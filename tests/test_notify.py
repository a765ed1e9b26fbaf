"""Notifications (R-A2) against servers the tests start on localhost: an SMTP server (aiosmtpd)
with and without a login, a stand-in for a Slack webhook (``http.server``), and ports where
nothing listens (a server that is down). Secrets never appear in errors or reprs."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import date
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

aiosmtpd = pytest.importorskip("aiosmtpd")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

from stockcycle import notify  # noqa: E402

PASSWORD = "s3cret-pa55"
WEBHOOK_SECRET = "T000/B000/XXXXSECRET"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 OK"


def _auth(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == PASSWORD.encode()
    # handled=False: aiosmtpd answers the refusal itself (535), as a real server does.
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=_auth,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(type(self).status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args) -> None:  # keep the test output clean
        pass


@pytest.fixture
def webhook() -> Iterator[type[_Hook]]:
    handler = type("Hook", (_Hook,), {"received": [], "status": 200})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_port}/services/{WEBHOOK_SECRET}"
    try:
        yield handler
    finally:
        server.shutdown()
        server.server_close()


def env(port: int, **extra: str) -> dict[str, str]:
    return {
        "STOCKCYCLE_SMTP_HOST": "127.0.0.1",
        "STOCKCYCLE_SMTP_PORT": str(port),
        "STOCKCYCLE_SMTP_SECURITY": "none",
        "STOCKCYCLE_SMTP_USER": "seller@example.com",
        "STOCKCYCLE_SMTP_PASSWORD": PASSWORD,
        "STOCKCYCLE_ALERT_EMAIL_TO": "team@example.com, boss@example.com",
        **extra,
    }


ROWS = [
    {
        "sku": "MUG-1",
        "title": "Low stock",
        "severity": "high",
        "figure": "120 units (threshold 750 units)",
        "action": "Order 900 units by 3 Nov 2026",
        "money_at_stake": 1234.5,
    },
    {
        "sku": "MUG-2",
        "title": "Aging stock",
        "severity": "low",
        "figure": "40 units (threshold 90 days)",
        "action": "Watch it",
        "money_at_stake": None,
    },
    {
        "sku": "MUG-3",
        "title": "Overstock",
        "severity": "high",
        "figure": "3,000 units (threshold 1,000 units)",
        "action": "Stop reordering",
        "money_at_stake": 800.0,
    },
]


def test_config_from_the_environment_names_only_and_hides_secrets() -> None:
    cfg = notify.load_config(env(2525, STOCKCYCLE_SLACK_WEBHOOK="https://hooks.slack.com/x/y"))
    assert cfg.status() == {"email": True, "slack": True}
    assert cfg.email.to == ("team@example.com", "boss@example.com")
    assert cfg.email.sender == "seller@example.com"  # the user when no FROM is given
    assert PASSWORD not in repr(cfg) and "hooks.slack.com" not in repr(cfg)
    assert notify.load_config({}).status() == {"email": False, "slack": False}
    # Default ports per security mode; a bad value is named without its value.
    assert notify.load_config({**env(1), "STOCKCYCLE_SMTP_PORT": ""}).email.port == 25
    ssl_cfg = notify.load_config(
        {**env(1), "STOCKCYCLE_SMTP_PORT": "", "STOCKCYCLE_SMTP_SECURITY": "ssl"}
    )
    assert ssl_cfg.email.port == 465
    bad = notify.load_config({**env(1), "STOCKCYCLE_SMTP_SECURITY": "tls13"})
    assert bad.email is None and "STOCKCYCLE_SMTP_SECURITY" in bad.problems[0]
    half = notify.load_config({"STOCKCYCLE_SMTP_HOST": "mail.example.com"})
    assert half.email is None and half.problems


def test_digest_groups_by_severity_with_sku_figure_action_and_link() -> None:
    subject, text = notify.digest(
        ROWS, as_of=date(2026, 10, 31), workspace="shop", app_url="https://app.example.com/"
    )
    assert subject == "stockcycle shop: 3 new alerts (2 high, 1 low)"
    lines = text.splitlines()
    high, low = lines.index("High (2)"), lines.index("Low (1)")
    assert high < low and "Medium" not in text
    assert lines[high + 1] == (
        "- MUG-1: Low stock, 120 units (threshold 750 units). Order 900 units by 3 Nov 2026. "
        "At stake: 1,234."
    )
    assert lines[high + 2].startswith("- MUG-3: Overstock")
    assert lines[low + 1] == "- MUG-2: Aging stock, 40 units (threshold 90 days). Watch it."
    assert lines[-1] == "Open the alerts: https://app.example.com/Alerts"
    _, no_link = notify.digest(ROWS, as_of=date(2026, 10, 31), workspace="shop")
    assert "Open the alerts" not in no_link


def test_email_digest_reaches_the_local_smtp_server_after_login(smtp_server) -> None:
    inbox, port = smtp_server
    cfg = notify.load_config(env(port))
    subject, text = notify.digest(ROWS, as_of=date(2026, 10, 31), workspace="shop")
    assert notify.send(cfg, subject, text) == {"email": None}
    assert len(inbox.messages) == 1
    sender, rcpts, content = inbox.messages[0]
    assert sender == "seller@example.com"
    assert rcpts == ["team@example.com", "boss@example.com"]
    msg = message_from_bytes(content)
    assert msg["Subject"] == subject
    assert "MUG-1: Low stock" in msg.get_payload(decode=True).decode()


def test_refused_login_is_reported_without_the_password(smtp_server) -> None:
    inbox, port = smtp_server
    cfg = notify.load_config({**env(port), "STOCKCYCLE_SMTP_PASSWORD": "wrong-" + PASSWORD})
    result = notify.send(cfg, "s", "t")
    assert "refused the login" in result["email"]
    assert PASSWORD not in result["email"]
    assert inbox.messages == []


def test_starttls_against_a_server_without_it_fails_cleanly(smtp_server) -> None:
    _, port = smtp_server
    cfg = notify.load_config({**env(port), "STOCKCYCLE_SMTP_SECURITY": "starttls"})
    err = notify.send(cfg, "s", "t")["email"]
    assert "STARTTLS" in err


def test_smtp_server_down_fails_cleanly() -> None:
    cfg = notify.load_config(env(free_port()))
    err = notify.send(cfg, "s", "t")["email"]
    assert err.startswith("email: cannot reach 127.0.0.1:") and "refused" in err


def test_slack_webhook_gets_one_json_post(webhook) -> None:
    cfg = notify.load_config({"STOCKCYCLE_SLACK_WEBHOOK": webhook.url})
    subject, text = notify.digest(ROWS, as_of=date(2026, 10, 31), workspace="shop")
    assert notify.send(cfg, subject, text) == {"slack": None}
    assert len(webhook.received) == 1
    body = webhook.received[0]["text"]
    assert body.startswith(f"*{subject}*") and "MUG-3: Overstock" in body


def test_slack_error_status_and_server_down_hide_the_url(webhook) -> None:
    webhook.status = 500
    cfg = notify.load_config({"STOCKCYCLE_SLACK_WEBHOOK": webhook.url})
    err = notify.send(cfg, "s", "t")["slack"]
    assert err == "Slack: the webhook answered HTTP 500"
    down = notify.load_config(
        {"STOCKCYCLE_SLACK_WEBHOOK": f"http://127.0.0.1:{free_port()}/{WEBHOOK_SECRET}"}
    )
    err = notify.send(down, "s", "t")["slack"]
    assert "cannot reach the webhook" in err and WEBHOOK_SECRET not in err


def test_one_channel_down_does_not_stop_the_other(webhook) -> None:
    cfg = notify.load_config({**env(free_port()), "STOCKCYCLE_SLACK_WEBHOOK": webhook.url})
    result = notify.send_test(cfg, "shop")
    assert result["slack"] is None and result["email"] is not None
    assert "test message" in webhook.received[0]["text"]


def test_settings_page_says_configured_and_sends_a_test_message(webhook, monkeypatch) -> None:
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from stockcycle.store import Workspace

    app = str(Path(__file__).resolve().parents[1] / "app.py")
    monkeypatch.setenv("STOCKCYCLE_SLACK_WEBHOOK", webhook.url)
    ws = Workspace.named("shop")
    at = AppTest.from_file(app, default_timeout=120)
    at.session_state["workspace_path"] = str(ws.path)
    at.switch_page("pages/2_Settings.py").run()
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    assert shown == {"Email configured": "no", "Slack configured": "yes"}
    page_text = " ".join(str(e.value) for e in (*at.markdown, *at.caption, *at.metric))
    assert WEBHOOK_SECRET not in page_text  # configured, never shown
    next(b for b in at.button if b.label == "Send test message").click().run()
    assert [s.value for s in at.success] == ["Test message sent by slack."]
    assert len(webhook.received) == 1 and "test message" in webhook.received[0]["text"]
