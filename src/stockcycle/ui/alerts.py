"""Alerts page parts: the open alerts, acknowledge and snooze, one product's alert history,
and the tuning view (R-A2, R-M6).

The rules and the log are ``stockcycle.alerts`` and ``Workspace.sync_alerts``, the same as
``stockcycle check``: opening the page runs the check once per data version, settings and day
(without sending anything), so the page and the scheduled check always show the same log.
Notification settings come from the environment or ``st.secrets`` (``notify_config``), never
from the workspace, and are never shown.
"""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from stockcycle import alerts, datadate, notify
from stockcycle.errors import InputError
from stockcycle.store import OPEN_ALERT_STATES, Workspace
from stockcycle.ui import data_version, flash, plain, show_error
from stockcycle.ui.wizard import download_plan, explain

SEVERITY_LABELS = {"high": "High", "medium": "Medium", "low": "Low"}
STATE_LABELS = {"new": "New", "seen": "Acknowledged", "snoozed": "Snoozed", "resolved": "Cleared"}
COLUMN_CONFIG = {
    "severity": "Urgency",
    "sku": "SKU",
    "title": "Alert",
    "figure": st.column_config.TextColumn("Figure (threshold)", width="medium"),
    "action": st.column_config.TextColumn("What to do", width="large"),
    "money_at_stake": st.column_config.NumberColumn("Money at stake", format="accounting"),
    "state": "State",
    "snoozed_until": "Snoozed until",
    "first_seen": "First seen",
}


def notify_config() -> notify.NotifyConfig:
    """Notification settings: ``st.secrets`` entries of ``notify.ENV_NAMES`` over the
    environment's. Never from the workspace; the values are never drawn."""
    values: dict[str, Any] = {n: os.environ[n] for n in notify.ENV_NAMES if n in os.environ}
    try:
        secrets = st.secrets.to_dict()
    except StreamlitSecretNotFoundError:
        secrets = {}
    values.update({n: secrets[n] for n in notify.ENV_NAMES if n in secrets})
    return notify.load_config(values)


def _check_key(ws: Workspace, today: date) -> str:
    settings = json.dumps(ws.settings().to_dict(), sort_keys=True, default=str)
    return f"alerts_checked:{ws.path}:{data_version(ws)}:{settings}:{today.isoformat()}"


def refresh(ws: Workspace, today: date, *, force: bool = False) -> alerts.CheckResult | None:
    """Run the check (no notifications) unless it already ran in this session for this data,
    settings and day; returns its result when it ran."""
    key = _check_key(ws, today)
    if not force and st.session_state.get(key):
        return None
    with st.spinner("Checking every alert rule…"):
        result = alerts.run_check(ws, today=today)
    st.session_state[key] = True
    return result


def open_rows(ws: Workspace) -> pd.DataFrame:
    """The open alerts (``alerts.log_rows``), most urgent first."""
    rows = alerts.log_rows(ws.alerts(states=OPEN_ALERT_STATES))
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=["id", *COLUMN_CONFIG, "rule", "message", "spec"])
    return table


def filtered(table: pd.DataFrame, titles: list[str], severities: list[str]) -> pd.DataFrame:
    """Rows whose alert title is in ``titles`` and severity in ``severities`` (empty keeps
    all)."""
    keep = pd.Series(True, index=table.index)
    if titles:
        keep &= table["title"].isin(titles)
    if severities:
        keep &= table["severity"].isin(severities)
    return table[keep]


#: The alert-tuning table's columns (``alerts.tuning_table``), here and on the Maturity page.
TUNING_COLUMNS = {
    "sku": "SKU",
    "alerts": st.column_config.NumberColumn("Alerts started", format="%d"),
    "days": st.column_config.NumberColumn("Days with a new alert", format="%d"),
    "rules": "Rules",
    "turnover_first": st.column_config.NumberColumn("Turnover then", format="%.1f"),
    "turnover_now": st.column_config.NumberColumn("Turnover now", format="%.1f"),
    "improving": st.column_config.CheckboxColumn("Improving"),
    "noisy": st.column_config.CheckboxColumn("Flagged"),
}


def _label(row: pd.Series) -> str:
    return f"#{row['id']} {row['sku']}: {row['title']} ({row['severity']})"


def _for_screen(table: pd.DataFrame) -> pd.DataFrame:
    shown = table[list(COLUMN_CONFIG)].copy()
    shown["severity"] = shown["severity"].map(SEVERITY_LABELS)
    shown["state"] = shown["state"].map(STATE_LABELS)
    shown["first_seen"] = shown["first_seen"].astype(str).str[:10]
    return shown


def why(shown: pd.DataFrame) -> None:
    """One alert's figures, rule and formula (its Explain expander)."""
    if shown.empty:
        return
    labels = {_label(r): r for _, r in shown.iterrows()}
    pick = st.selectbox("Why this alert?", list(labels), key="alerts_why")
    row = labels[pick]
    fn = getattr(alerts, f"{row['rule']}_alert", None)
    formula = " ".join((fn.__doc__ or "").split()) if fn else ""
    money = row["money_at_stake"]
    # SKUs come from the seller's files: shown literally, never as markdown (links, images).
    explain(
        f"{plain(row['sku'])}, {row['title'].lower()}",
        f"{plain(row['message'])}\n\n**Figure**: {plain(row['figure'])}. **Action**: "
        f"{plain(row['action'])}. "
        f"**Money at stake**: {'not counted' if pd.isna(money) else f'{money:,.2f}'}.\n\n"
        f"**Rule {row['spec']}**: {formula}",
    )


def manage(ws: Workspace, shown: pd.DataFrame, today: date) -> None:
    """Acknowledge, snooze or re-open the chosen alerts."""
    st.subheader("Acknowledge or snooze")
    labels = {_label(r): int(r["id"]) for _, r in shown.iterrows()}
    chosen = st.multiselect("Alerts", list(labels), key="alerts_chosen", placeholder="Choose")
    settings = ws.settings()
    days = int(settings.alert_snooze_days)
    c1, c2, c3 = st.columns(3)
    ack = c1.button("Acknowledge", key="alerts_ack", icon=":material/done:")
    snooze = c2.button(f"Snooze {days} days", key="alerts_snooze", icon=":material/snooze:")
    reopen = c3.button("Mark as new", key="alerts_reopen", icon=":material/undo:")
    if not (ack or snooze or reopen):
        return
    if not chosen:
        st.warning("Choose one or more alerts first.")
        return
    until = today + timedelta(days=days)
    try:
        for label in chosen:
            if ack:
                ws.set_alert_state(labels[label], "seen")
            elif snooze:
                ws.set_alert_state(labels[label], "snoozed", snoozed_until=until)
            else:
                ws.set_alert_state(labels[label], "new")
    except InputError as err:
        show_error(err)
        return
    verb = (
        "acknowledged"
        if ack
        else f"snoozed until {datadate.long_date(until)}"
        if snooze
        else "marked as new"
    )
    st.session_state.pop("alerts_chosen", None)
    flash(f"{len(chosen)} alert{'s' if len(chosen) != 1 else ''} {verb}.")
    st.rerun()


def history(ws: Workspace, skus: list[str]) -> None:
    st.subheader("A product's alert history")
    if not skus:
        st.caption("No alerts yet.")
        return
    sku = st.selectbox("Product", skus, key="alerts_history_sku")
    log = alerts.log_rows(ws.alerts(sku=sku))
    table = pd.DataFrame(log)
    raw = ws.alerts(sku=sku).set_index("id")
    table["cleared"] = table["id"].map(raw["resolved_at"]).fillna("").astype(str).str[:10]
    table = table.sort_values("id", ascending=False)
    shown = _for_screen(table)
    shown["cleared"] = table["cleared"].to_numpy()
    st.dataframe(
        shown.drop(columns=["snoozed_until"]),
        hide_index=True,
        width="stretch",
        column_config={**COLUMN_CONFIG, "cleared": "Cleared on"},
    )


def tuning(ws: Workspace, today: date) -> None:
    """R-M6: products whose alerts keep firing without turnover improving, and each rule's
    sensitivity (its settings), with the rules that can be switched off here."""
    settings = ws.settings()
    st.subheader("Tuning: alerts that keep firing")
    table = alerts.tuning_table(
        ws.alerts(), today, settings.alert_tuning_days, settings.alert_tuning_fires
    )
    noisy = table[table["noisy"]] if len(table) else table
    st.caption(
        f"A product is flagged when new alerts started on {settings.alert_tuning_fires} or more "
        f"days of the last {settings.alert_tuning_days} and its stock turnover did not improve. "
        "Raise the rule's threshold or switch it off to avoid alert fatigue."
    )
    if noisy.empty:
        st.success("No product's alerts fire that often without turnover improving.")
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config=TUNING_COLUMNS,
    )
    explain(
        "alert tuning",
        "Alert tuning (R-M6): for each product, alerts started = rows of the alert log created "
        f"in the last {settings.alert_tuning_days} days (setting alert_tuning_days); turnover "
        "days with a new alert = the distinct days among them; turnover then / now = the stock "
        "turnover per year (COGS / average inventory at cost, R-K1) the check recorded with "
        "its first and its latest alert of that window; flagged = days with a new alert >= "
        f"{settings.alert_tuning_fires} (setting alert_tuning_fires) and "
        "turnover now not above turnover then. Source: stockcycle.alerts.tuning_table.",
    )
    sens = alerts.sensitivity_table(settings)
    st.markdown("**Sensitivity of each rule** (change the values on the Settings page)")
    st.dataframe(
        sens.drop(columns=["rule", "spec", "setting"]),
        hide_index=True,
        width="stretch",
        column_config={"title": "Alert", "label": "Setting", "value": "Value", "on": "On"},
    )
    titles = {r.title: r.name for r in alerts.RULES.values()}
    current_off = [r.title for r in alerts.RULES.values() if r.name in alerts.rules_off(
        settings.alert_rules_off
    )]  # fmt: skip
    with st.form("alerts_tuning"):
        off = st.multiselect(
            "Rules switched off", list(titles), default=current_off, key="alerts_off"
        )
        floor = st.selectbox(
            "Lowest urgency shown",
            list(SEVERITY_LABELS),
            index=list(SEVERITY_LABELS).index(settings.alert_min_severity),
            format_func=SEVERITY_LABELS.get,
            key="alerts_floor",
        )
        saved = st.form_submit_button("Save alert tuning", icon=":material/save:")
    if saved:
        from dataclasses import replace

        ws.save_settings(
            replace(
                settings,
                alert_rules_off=", ".join(titles[t] for t in off),
                alert_min_severity=floor,
            )
        )
        flash("Alert tuning saved: the alerts are checked again.")
        st.rerun()


def explain_text(settings: Any) -> str:
    """Every rule with its SPEC code and formula, for the Explain expander."""
    lines = [
        "Each alert is one rule on one product (or the whole account). The check runs every "
        "rule as of the data date, keeps one open alert per rule and product, updates its "
        "figure each time, clears it when the condition no longer holds, and reports or sends "
        "it again only when it is new, its urgency rises or a snooze ends (R-A2, R-M6).",
        "",
    ]
    for rule in alerts.RULES.values():
        fn = getattr(alerts, f"{rule.name}_alert", None)
        doc = (fn.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ") if fn else ""
        lines.append(f"- **{rule.title}** ({rule.spec}): {doc}")
    lines += [
        "",
        f"Notifications send alerts of urgency '{settings.alert_notify_min_severity}' or more "
        "(setting alert_notify_min_severity).",
    ]
    return "\n".join(lines)


def main(ws: Workspace) -> None:
    today = datadate.today()
    try:
        refresh(ws, today)
    except InputError as err:
        show_error(err)
    table = open_rows(ws)
    settings = ws.settings()
    as_of = ws.data_date()
    st.caption(
        f"As of {datadate.long_date(as_of) if as_of else 'no data'}, checked on "
        f"{datadate.long_date(today)}. The same alerts as the scheduled daily check "
        "(stockcycle check)."
    )
    cfg = notify_config()
    status = cfg.status()
    st.caption(
        f"Email: {'configured' if status['email'] else 'not configured'} · Slack: "
        f"{'configured' if status['slack'] else 'not configured'} (Settings page)."
    )
    if st.button("Check again now", key="alerts_refresh", icon=":material/refresh:"):
        refresh(ws, today, force=True)
        st.rerun()
    if table.empty:
        st.success("No open alerts.")
    else:
        counts = table["severity"].value_counts()
        for col, sev in zip(st.columns(3), SEVERITY_LABELS, strict=True):
            col.metric(SEVERITY_LABELS[sev], int(counts.get(sev, 0)))
        left, right = st.columns(2)
        present = [r.title for r in alerts.RULES.values() if r.title in set(table["title"])]
        titles = left.multiselect("Alert", present, key="alerts_rules", placeholder="All")
        sevs = right.multiselect(
            "Urgency",
            [s for s in SEVERITY_LABELS if s in set(table["severity"])],
            format_func=SEVERITY_LABELS.get,
            key="alerts_severities",
            placeholder="All",
        )
        shown = filtered(table, titles, sevs)
        st.dataframe(
            _for_screen(shown), hide_index=True, width="stretch", column_config=COLUMN_CONFIG
        )
        known = shown["money_at_stake"].notna()
        st.caption(
            f"{len(shown):,} of {len(table):,} open alerts; money at stake "
            f"{shown.loc[known, 'money_at_stake'].sum():,.2f}"
        )
        download_plan(
            shown.drop(columns=["id"]).assign(as_of=as_of),  # the data date of every row
            f"alerts_{ws.name}_{today.isoformat()}",
            label="open alerts",
            sheet_name="alerts",
        )
        why(shown)
        manage(ws, shown, today)
    skus = sorted(set(ws.alerts()["sku"].dropna()))
    history(ws, skus)
    tuning(ws, today)
    explain("the alert rules", explain_text(settings))
