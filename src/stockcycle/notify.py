"""Notifications (R-A2): one digest of new alerts per run, by email (SMTP) and Slack.

Configuration comes only from environment variables, or the same names in Streamlit's
``st.secrets`` (the app passes them in: this module never imports streamlit), never from the
workspace file, and is never printed or logged:

- ``STOCKCYCLE_SMTP_HOST``, ``STOCKCYCLE_SMTP_PORT`` (default 587 for starttls, 465 for ssl,
  25 for none), ``STOCKCYCLE_SMTP_SECURITY`` = ``starttls`` (default) / ``ssl`` / ``none``,
  ``STOCKCYCLE_SMTP_USER`` and ``STOCKCYCLE_SMTP_PASSWORD`` (login when both are set),
  ``STOCKCYCLE_SMTP_FROM`` (default the user), ``STOCKCYCLE_ALERT_EMAIL_TO`` (comma-separated);
- ``STOCKCYCLE_SLACK_WEBHOOK``: a Slack incoming-webhook URL;
- ``STOCKCYCLE_APP_URL``: the app's address; each digest links to its Alerts page.

Email is configured when the host and a recipient are set; Slack when the webhook is. A send
that fails raises ``NotifyError`` with a message safe to show (no password, no webhook URL);
the caller leaves the alerts unsent so the next run retries them.
"""

from __future__ import annotations

import json
import os
import smtplib
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from typing import Any

#: Every configuration name this module reads.
ENV_NAMES = (
    "STOCKCYCLE_SMTP_HOST",
    "STOCKCYCLE_SMTP_PORT",
    "STOCKCYCLE_SMTP_SECURITY",
    "STOCKCYCLE_SMTP_USER",
    "STOCKCYCLE_SMTP_PASSWORD",
    "STOCKCYCLE_SMTP_FROM",
    "STOCKCYCLE_ALERT_EMAIL_TO",
    "STOCKCYCLE_SLACK_WEBHOOK",
    "STOCKCYCLE_APP_URL",
)
SECURITY_MODES = {"starttls": 587, "ssl": 465, "none": 25}
#: Seconds a server may take to answer before the send counts as failed.
TIMEOUT_SECONDS = 15.0
#: The page of the app that lists the alerts (``pages/10_Alerts.py``).
ALERTS_PAGE_PATH = "Alerts"
SEVERITY_HEADINGS = {"high": "High", "medium": "Medium", "low": "Low"}


class NotifyError(Exception):
    """A send failed; the message names the channel and the reason, never a secret."""


@dataclass(frozen=True)
class EmailConfig:
    host: str
    port: int
    security: str
    sender: str
    to: tuple[str, ...]
    user: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class NotifyConfig:
    """What is configured; ``repr`` never shows the password or the webhook."""

    email: EmailConfig | None = None
    slack_webhook: str | None = field(default=None, repr=False)
    app_url: str | None = None
    problems: tuple[str, ...] = ()  # settings present but unusable (named, values not shown)

    @property
    def channels(self) -> list[str]:
        return [c for c, ok in (("email", self.email), ("slack", self.slack_webhook)) if ok]

    def status(self) -> dict[str, bool]:
        """``{"email": configured?, "slack": configured?}`` for the Settings page."""
        return {"email": self.email is not None, "slack": self.slack_webhook is not None}


def _clean(values: Mapping[str, Any], name: str) -> str | None:
    value = values.get(name)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def load_config(values: Mapping[str, Any] | None = None) -> NotifyConfig:
    """Read ``ENV_NAMES`` from ``values`` (default ``os.environ``; the app merges
    ``st.secrets`` over the environment). Unusable values (a port that is not a number, an
    unknown security mode, a webhook that is not https) leave that channel unconfigured and are
    named in ``problems``, without their values."""
    src = os.environ if values is None else values
    problems: list[str] = []
    email = None
    host = _clean(src, "STOCKCYCLE_SMTP_HOST")
    to = tuple(
        a.strip() for a in (_clean(src, "STOCKCYCLE_ALERT_EMAIL_TO") or "").split(",") if a.strip()
    )
    if host and to:
        security = (_clean(src, "STOCKCYCLE_SMTP_SECURITY") or "starttls").lower()
        port_text = _clean(src, "STOCKCYCLE_SMTP_PORT")
        user = _clean(src, "STOCKCYCLE_SMTP_USER")
        sender = _clean(src, "STOCKCYCLE_SMTP_FROM") or user
        if security not in SECURITY_MODES:
            problems.append("STOCKCYCLE_SMTP_SECURITY must be starttls, ssl or none")
        elif port_text is not None and not port_text.isdigit():
            problems.append("STOCKCYCLE_SMTP_PORT must be a port number")
        elif not sender:
            problems.append("STOCKCYCLE_SMTP_FROM (or STOCKCYCLE_SMTP_USER) is needed")
        else:
            email = EmailConfig(
                host=host,
                port=int(port_text) if port_text else SECURITY_MODES[security],
                security=security,
                sender=sender,
                to=to,
                user=user,
                password=_clean(src, "STOCKCYCLE_SMTP_PASSWORD"),
            )
    elif host or to:
        problems.append("email needs both STOCKCYCLE_SMTP_HOST and STOCKCYCLE_ALERT_EMAIL_TO")
    webhook = _clean(src, "STOCKCYCLE_SLACK_WEBHOOK")
    if webhook and not webhook.lower().startswith(("https://", "http://")):
        problems.append("STOCKCYCLE_SLACK_WEBHOOK must be an https:// URL")
        webhook = None
    return NotifyConfig(
        email=email,
        slack_webhook=webhook,
        app_url=(_clean(src, "STOCKCYCLE_APP_URL") or "").rstrip("/") or None,
        problems=tuple(problems),
    )


# -- the digest --------------------------------------------------------------------------------
def _money(value: Any) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    return "" if v != v else f" At stake: {v:,.0f}."


def alerts_link(app_url: str | None) -> str | None:
    """The Alerts page of the app, or None when the app's address is not configured."""
    return f"{app_url.rstrip('/')}/{ALERTS_PAGE_PATH}" if app_url else None


def digest(
    alerts: Iterable[Mapping[str, Any]],
    *,
    as_of: date | None,
    workspace: str,
    app_url: str | None = None,
) -> tuple[str, str]:
    """(subject, text) of one digest: the alerts grouped by severity (high first), one line
    each with the SKU, what fired and the figure against its threshold, and the action.
    ``alerts``: dicts with ``sku, title, severity, figure, action, money_at_stake`` (the daily
    check's rows)."""
    rows = list(alerts)
    counts = {s: sum(1 for r in rows if r["severity"] == s) for s in SEVERITY_HEADINGS}
    parts = [f"{n} {s}" for s, n in counts.items() if n]
    when = as_of.isoformat() if as_of else "no data"
    subject = f"stockcycle {workspace}: {len(rows)} new alert{'s' if len(rows) != 1 else ''}"
    subject += f" ({', '.join(parts)})" if parts else ""
    lines = [f"New alerts for {workspace}, data up to {when}:", ""]
    for severity, heading in SEVERITY_HEADINGS.items():
        group = [r for r in rows if r["severity"] == severity]
        if not group:
            continue
        lines.append(f"{heading} ({len(group)})")
        for r in group:
            lines.append(
                f"- {r['sku']}: {r['title']}, {r['figure']}. {str(r['action']).rstrip('.')}."
                f"{_money(r.get('money_at_stake'))}"
            )
        lines.append("")
    link = alerts_link(app_url)
    if link:
        lines.append(f"Open the alerts: {link}")
    return subject, "\n".join(lines).rstrip() + "\n"


# -- sending -----------------------------------------------------------------------------------
def send_email(config: EmailConfig, subject: str, text: str) -> None:
    """Send ``text`` to every recipient over SMTP (STARTTLS, SSL or plain; login when a user
    and password are set). Raises ``NotifyError`` (no secret in its message)."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = config.sender
    msg["To"] = ", ".join(config.to)
    msg.set_content(text)
    where = f"{config.host}:{config.port}"
    phase = "connect"
    try:
        if config.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host,
                config.port,
                timeout=TIMEOUT_SECONDS,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(config.host, config.port, timeout=TIMEOUT_SECONDS)
        with smtp:
            if config.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if config.user and config.password:
                phase = "login"
                smtp.login(config.user, config.password)
            phase = "send"
            smtp.send_message(msg)
    except (smtplib.SMTPAuthenticationError, smtplib.SMTPServerDisconnected) as err:
        # smtplib tries each login mechanism in turn; a server may hang up after refusing
        # one, so a disconnect during the login is a refused login too.
        if phase != "login" and not isinstance(err, smtplib.SMTPAuthenticationError):
            raise NotifyError(f"email: {where} closed the connection") from None
        code = getattr(err, "smtp_code", None)
        raise NotifyError(
            f"email: the server at {where} refused the login"
            + (f" (code {code})" if code else "")
            + "; check STOCKCYCLE_SMTP_USER and STOCKCYCLE_SMTP_PASSWORD"
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise NotifyError(
            f"email: the server at {where} does not offer STARTTLS or login; "
            "check STOCKCYCLE_SMTP_SECURITY"
        ) from None
    except smtplib.SMTPRecipientsRefused:
        raise NotifyError(f"email: the server at {where} refused the recipients") from None
    except smtplib.SMTPResponseException as err:
        raise NotifyError(f"email: the server at {where} answered {err.smtp_code}") from None
    except ssl.SSLError as err:
        raise NotifyError(f"email: TLS with {where} failed ({err.reason})") from None
    except (OSError, smtplib.SMTPException) as err:
        reason = "timed out" if isinstance(err, socket.timeout) else type(err).__name__
        if isinstance(err, ConnectionRefusedError):
            reason = "connection refused"
        raise NotifyError(f"email: cannot reach {where} ({reason})") from None


def send_slack(webhook: str, text: str) -> None:
    """Post ``text`` to a Slack incoming webhook (JSON ``{"text": ...}``). Raises
    ``NotifyError`` naming the HTTP status or the network error, never the URL."""
    body = json.dumps({"text": text}).encode("utf-8")
    request = urllib.request.Request(
        webhook, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - the seller's own webhook
            status = response.status
    except urllib.error.HTTPError as err:
        raise NotifyError(f"Slack: the webhook answered HTTP {err.code}") from None
    except urllib.error.URLError as err:
        reason = err.reason
        text_reason = (
            "connection refused"
            if isinstance(reason, ConnectionRefusedError)
            else type(reason).__name__
            if isinstance(reason, BaseException)
            else "unreachable"
        )
        raise NotifyError(f"Slack: cannot reach the webhook ({text_reason})") from None
    except (OSError, ValueError) as err:
        raise NotifyError(f"Slack: cannot reach the webhook ({type(err).__name__})") from None
    if not 200 <= status < 300:
        raise NotifyError(f"Slack: the webhook answered HTTP {status}")


def send_on(config: NotifyConfig, channel: str, subject: str, text: str) -> str | None:
    """Send one message on ``channel`` ("email" or "slack"): None when sent, else the error
    (safe to show)."""
    try:
        if channel == "email" and config.email is not None:
            send_email(config.email, subject, text)
        elif channel == "slack" and config.slack_webhook is not None:
            send_slack(config.slack_webhook, f"*{subject}*\n{text}")
        else:
            return f"{channel}: not configured"
    except NotifyError as err:
        return str(err)
    return None


def send(config: NotifyConfig, subject: str, text: str) -> dict[str, str | None]:
    """Send one message on every configured channel: ``{channel: None (sent) or the error}``.
    One channel failing does not stop the other."""
    return {channel: send_on(config, channel, subject, text) for channel in config.channels}


def send_test(config: NotifyConfig, workspace: str) -> dict[str, str | None]:
    """A test message on every configured channel (the Settings page's button)."""
    link = alerts_link(config.app_url)
    text = (
        f"Test message from stockcycle ({workspace}): notifications reach you here."
        + (f"\nAlerts page: {link}" if link else "")
        + "\n"
    )
    return send(config, f"stockcycle {workspace}: test message", text)
