"""Settings page parts: one form over ``Settings.field_info()``, grouped by rule family."""

from __future__ import annotations

import hashlib
from typing import Any

import streamlit as st

from stockcycle.errors import InputError
from stockcycle.settings import Settings
from stockcycle.store import Workspace
from stockcycle.ui import flash, show_error

# Rule families of SPEC.md, in the order a product lives through them.
FAMILIES = {
    "R-L": "Launch",
    "R-G": "Growth",
    "R-M": "Maturity",
    "R-D": "Decline",
    "R-E": "Exit",
    "R-K": "Health, cash and risk",
    "R-A": "Automation",
    "R-F": "Amazon fees and limits",
    "R-T": "Replay",
    "": "General",
}


_PLAN = ("Growth page", "stockcycle plan")
_STAGES = (
    "Life-cycle stages page",
    "Forecast page (via each SKU's stage)",
    "stockcycle stages",
    "stockcycle forecast",
    *_PLAN,
)
_FORECAST = ("Forecast page", "stockcycle forecast", "stockcycle backtest", *_PLAN)
_LAUNCH = ("Launch page", "stockcycle launch")
_ALERTS = ("Alerts page", "stockcycle check")
_MATURITY = ("Maturity page",)
_REPLAY = ("Replay page", "stockcycle replay")
#: Where each setting is read today. A setting not listed is kept in the workspace and takes
#: effect when the page for its rule arrives; the Settings page says which is which, so it
#: never claims more than the app does (tests check this table against the code).
USED_BY: dict[str, tuple[str, ...]] = {
    "decline_weekly_drop": (*_STAGES, *_ALERTS, "Decline page"),
    "decline_consecutive_weeks": (*_STAGES, *_ALERTS),
    "forecast_horizon_days": _FORECAST,
    "backtest_horizon_days": _FORECAST,
    "backtest_origins": _FORECAST,
    "launch_lift": _LAUNCH,
    "launch_price_band": _LAUNCH,
    "launch_cover_days": _LAUNCH,
    "launch_safety_days": _LAUNCH,
    "first_order_share": _LAUNCH,
    "target_gross_margin": (*_LAUNCH, "stockcycle economics"),
    "launch_deviation_band": ("Launch page", *_ALERTS),
    "launch_days_below_band": ("Launch page", *_ALERTS),
    "lead_time_min_days": (*_LAUNCH, *_PLAN),
    "lead_time_max_days": (*_LAUNCH, *_PLAN),
    "duty_rate": (*_LAUNCH, *_PLAN, "stockcycle economics", "stockcycle clearance", "Decline page"),
    "air_days_max": ("Launch page", *_PLAN),
    "sea_days_max": ("Launch page", *_PLAN),
    "receiving_days": ("Launch page", *_PLAN),
    "stockout_probability": ("Launch page", *_PLAN, *_MATURITY),
    "review_period_days": (*_PLAN, *_ALERTS, *_MATURITY),
    "restock_shipments": (*_PLAN, *_MATURITY),
    "slow_mover_cover_days": (*_PLAN, *_MATURITY),
    "ordering_cost": (*_PLAN, *_MATURITY),
    "holding_cost_rate": (*_PLAN, *_MATURITY),
    "event_buffer": _MATURITY,
    "event_buffer_days_before": _MATURITY,
    "keyword_volume_premium": ("Growth page",),
    "keyword_max_competition": ("Growth page",),
    "review_stockout_change": ("Growth page",),
    "review_cover_change": ("Growth page",),
    "volatility_replan": ("Growth page", *_ALERTS, *_MATURITY),
    "currency": ("Growth page",),
    "turnover_alert": ("stockcycle health", *_ALERTS),
    "turnover_target_low": ("stockcycle health", *_ALERTS),
    "turnover_target_high": ("stockcycle health",),
    "aging_watch_days": ("stockcycle health", *_ALERTS),
    "aging_discount_days": ("stockcycle health", *_ALERTS),
    "aging_writedown_days": ("stockcycle health", *_ALERTS),
    "abc_a_share": ("stockcycle health",),
    "abc_b_share": ("stockcycle health",),
    "c_class_cash_cap": ("stockcycle health", *_MATURITY),
    "stress_sales_drop": ("stockcycle health",),
    "cash_ratio_warning": ("stockcycle health",),
    "exit_cost_share": ("Exit page", "stockcycle clearance"),
    "price_elasticity_default": ("Decline page", "Exit page", "stockcycle clearance"),
    "low_stock_safety_factor": _ALERTS,
    "abnormal_sales_jump": _ALERTS,
    "overstock_months": _ALERTS,
    "competitor_price_drop": _ALERTS,
    "replan_deviation": _ALERTS,
    "transfer_days": _ALERTS,
    "fba_capacity_cubic_feet": (*_ALERTS, *_MATURITY),
    "fba_capacity_oversize_cubic_feet": (*_ALERTS, *_MATURITY),
    "awd_cost_per_cubic_foot_month": _MATURITY,
    "threepl_cost_per_cubic_foot_month": _MATURITY,
    "supplier_wait_cost_per_cubic_foot_month": _MATURITY,
    "alert_min_severity": _ALERTS,
    "alert_rules_off": _ALERTS,
    "alert_notify_min_severity": _ALERTS,
    "alert_snooze_days": ("Alerts page",),
    "alert_tuning_days": ("Alerts page",),
    "alert_tuning_fires": ("Alerts page",),
    "replay_weeks": _REPLAY,
    "replay_target_fill_rate": _REPLAY,
    "dos_buffer_days": _REPLAY,
    "dos_target_days": _REPLAY,
    "dos_trailing_days": _REPLAY,
}


def family(rule: str) -> str:
    """``"R-L3"`` -> ``"R-L"``; settings without a rule go to ``""`` (General)."""
    return rule.rstrip("0123456789") if rule else ""


def grouped_fields() -> dict[str, list[dict[str, Any]]]:
    """``Settings.field_info()`` grouped by family, families in ``FAMILIES`` order."""
    groups: dict[str, list[dict[str, Any]]] = {f: [] for f in FAMILIES}
    for info in Settings.field_info():
        groups.setdefault(family(info["rule"]), []).append(info)
    return {f: items for f, items in groups.items() if items}


def usage_line(items: list[dict[str, Any]]) -> str:
    """One line for a tab: which of its settings are used today and where (from ``USED_BY``)."""
    used = [i for i in items if i["name"] in USED_BY]
    if not used:
        return (
            "Not used by any page yet: these settings are kept and apply when their page arrives."
        )
    where: dict[tuple[str, ...], list[str]] = {}
    for info in used:
        where.setdefault(USED_BY[info["name"]], []).append(info["label"])
    parts = [f"{'; '.join(labels)} — used by {', '.join(pages)}" for pages, labels in where.items()]
    rest = len(items) - len(used)
    tail = (
        f" The other {rest} {'are' if rest != 1 else 'is'} not used by any page yet."
        if rest
        else ""
    )
    return "Used today: " + ". ".join(parts) + "." + tail


def _key(ws: Workspace, name: str) -> str:
    # Per workspace, so switching workspaces never carries one's unsaved edits to another.
    tag = hashlib.sha1(str(ws.path).encode()).hexdigest()[:8]
    return f"setting_{tag}_{name}"


def _step(maximum: float | None) -> float:
    if maximum is None or maximum > 20:
        return 1.0
    return 0.01 if maximum <= 1 else 0.1


def _input(ws: Workspace, info: dict[str, Any], value: Any) -> None:
    name, unit, rule = info["name"], info["unit"], info["rule"]
    label = f"{info['label']} ({unit})" if unit and unit != "x" else info["label"]
    default = info["default"]
    help_text = f"Rule {rule}. " if rule else ""
    help_text += (
        f"Default {default:g}{' ' + unit if unit else ''}."
        if isinstance(default, int | float)
        else f"Default {default}."
    )
    lo, hi = info.get("min"), info.get("max")
    if isinstance(default, float) and not unit and hi is not None and hi <= 1:
        help_text += " A share: 0.05 means 5%."
    used = USED_BY.get(name)
    help_text += (
        f" Used by: {', '.join(used)}."
        if used
        else " Not used by any page yet: it is kept and applies when its page arrives."
    )
    key = _key(ws, name)
    if isinstance(default, bool) or not isinstance(default, int | float):
        st.text_input(label, value=str(value), key=key, help=help_text)
    elif isinstance(default, int):
        st.number_input(
            label,
            value=int(value),
            step=1,
            key=key,
            help=help_text,
            min_value=None if lo is None else int(lo),
            max_value=None if hi is None else int(hi),
        )
    else:
        st.number_input(
            label,
            value=float(value),
            step=_step(hi),
            format="%g",
            key=key,
            help=help_text,
            min_value=None if lo is None else float(lo),
            max_value=None if hi is None else float(hi),
        )


def _clear_widgets(ws: Workspace) -> None:
    for info in Settings.field_info():
        st.session_state.pop(_key(ws, info["name"]), None)


def main(ws: Workspace) -> None:
    try:
        current = ws.settings()
    except InputError as err:  # a stored value from an older version out of today's bounds
        show_error(err)
        current = Settings()
    values = current.to_dict()
    changed = [i["label"] for i in Settings.field_info() if values[i["name"]] != i["default"]]
    st.caption(
        "Every default comes from the planning rules (R-…) in the specification. "
        "Changes are saved in this workspace. Only some settings are used yet: each tab "
        "says which, and by which page; the others are kept and apply as the page for "
        "their rule arrives."
    )
    if changed:
        st.markdown(
            f"{len(changed)} setting{'s' if len(changed) != 1 else ''} differ from the "
            "defaults: " + "; ".join(changed) + "."
        )

    groups = grouped_fields()
    with st.form("settings_form"):
        tabs = st.tabs([FAMILIES.get(f, f) + (f" ({f})" if f else "") for f in groups])
        for tab, items in zip(tabs, groups.values(), strict=True):
            with tab:
                st.caption(usage_line(items))
                cols = st.columns(2)
                for i, info in enumerate(items):
                    with cols[i % 2]:
                        _input(ws, info, values[info["name"]])
        saved = st.form_submit_button("Save settings", type="primary", icon=":material/save:")
    if saved:
        edited = {i["name"]: st.session_state[_key(ws, i["name"])] for i in Settings.field_info()}
        try:
            new = Settings.from_dict(edited)
        except InputError as err:
            show_error(err)
        else:
            ws.save_settings(new)
            flash("Settings saved.")
            st.rerun()
    if st.button("Reset to defaults", key="settings_reset", icon=":material/restart_alt:"):
        ws.save_settings(Settings())
        _clear_widgets(ws)
        flash("Settings reset to the defaults.")
        st.rerun()
    notifications(ws)


def notifications(ws: Workspace) -> None:
    """Whether email and Slack are configured (environment or ``st.secrets``, never the
    workspace; the values are never shown) and a button that sends a test message (R-A2)."""
    from stockcycle import notify
    from stockcycle.ui.alerts import notify_config

    st.subheader("Notifications")
    cfg = notify_config()
    status = cfg.status()
    c1, c2 = st.columns(2)
    c1.metric("Email configured", "yes" if status["email"] else "no")
    c2.metric("Slack configured", "yes" if status["slack"] else "no")
    st.caption(
        "Set " + ", ".join(notify.ENV_NAMES) + " as environment variables or in "
        ".streamlit/secrets.toml; they are never stored in the workspace or shown here. "
        "`stockcycle check --notify` sends the same digest."
    )
    for problem in cfg.problems:
        st.warning(problem)
    if st.button(
        "Send test message",
        key="settings_test_message",
        icon=":material/send:",
        disabled=not cfg.channels,
    ):
        for channel, error in notify.send_test(cfg, ws.name).items():
            if error is None:
                st.success(f"Test message sent by {channel}.")
            else:
                st.error(error)
