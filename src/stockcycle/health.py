"""Inventory health from a workspace: unit economics, turnover, aging, ABC and cash (R-K, R-M5).

This module only gathers inputs from the workspace tables and hands them to the formulas in
``stockcycle.fees`` and ``stockcycle.kpi``; every figure it returns says where its inputs came
from. Workspace tables and columns read:

- ``products``: ``unit_cost`` (COGS and stock at cost), ``price``, ``freight_cost``,
  ``fba_fee``, ``referral_pct``, ``cubic_feet``, ``size_tier`` (unit economics, R-L6).
- ``sales``: ``date``, ``sku``, ``channel``, ``units`` (units ordered; returns are not
  subtracted), ``revenue`` (ABC classes, R-M5; days of supply for the low-inventory-level fee).
- ``inventory``: ``snapshot_date``, ``sku``, ``location``, ``available``, ``reserved`` (the
  daily stock history behind the average inventory, R-K1).
- ``aging``: Amazon's age buckets per SKU (R-K2, ``kpi.aging_from_report``).

Defaults when a figure is missing (each is reported in the result's ``inputs`` / ``missing``):
a blank ``referral_pct`` is 15% (Amazon's referral rate in most categories), a blank
``freight_cost`` or ``fba_fee`` counts as 0 and a blank ``cubic_feet`` gives no storage fee (the
row names the column); a SKU without ``unit_cost`` gets no COGS, turnover or stock at cost.
Thresholds (turnover band, aging days, ABC shares, C-class cap, target margin, duty rate) come
from the workspace ``Settings``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd

from stockcycle import datadate, fees, kpi
from stockcycle.checks import optional_number
from stockcycle.errors import InputError
from stockcycle.policy import DAYS_PER_MONTH
from stockcycle.settings import Settings
from stockcycle.store import Workspace

#: The location whose stock the low-inventory-level fee looks at, and the sales channel it ships.
FBA_LOCATION = "FBA"
FBA_CHANNEL_PREFIX = "amazon."


def _check_skus(wanted: Sequence[str] | None, known: Sequence[str]) -> list[str]:
    if not wanted:
        return sorted(known)
    unknown = [s for s in wanted if s not in set(known)]
    if unknown:
        raise InputError(
            f"unknown SKU '{unknown[0]}'",
            column="sku",
            expected="a SKU of the workspace (stockcycle info -w DIR lists them)",
        )
    return list(dict.fromkeys(wanted))


def data_end(ws: Workspace) -> date:
    """The workspace's data date (``Workspace.data_date``: the latest sales day or inventory
    snapshot, R-T1), else today."""
    return ws.data_date() or datadate.today()


# --------------------------------------------------------------------------- unit economics


def economics_table(
    ws: Workspace,
    skus: Sequence[str] | None = None,
    month: int | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Unit economics per SKU from the ``products`` table (R-L6, ``fees.unit_economics``).

    Per SKU: landed cost = unit_cost + freight_cost + duty_rate x unit_cost (duty rate from the
    settings), FBA fee (``fba_fee``), referral = ``referral_pct`` x price, storage for ``month``
    = ``fees.monthly_storage_fee(cubic_feet, size_tier, month)``; profit, gross margin (share of
    price), ROI (profit / landed cost) and ``meets_target`` (margin >= the settings' target
    gross margin, R-L6). ``month`` defaults to the month of the workspace's latest sales date.

    Columns: sku, title, price, unit_cost, freight_per_unit, duty_per_unit, landed_cost,
    fba_fee, referral_rate, referral_fee, storage_per_unit, total_cost, profit_per_unit,
    gross_margin, roi, target_margin, meets_target (None when it cannot be computed), status
    ("ok" | "below target" | "missing figures"), missing (products columns that were blank,
    comma separated), defaults (what was assumed instead). ``.attrs``: month, month_source,
    target_margin, duty_rate, fee_table.
    """
    settings = settings or ws.settings()
    products = ws.product_rows()
    # Every SKU of the workspace: one with sales but no products row is listed as missing it.
    wanted = _check_skus(skus, sorted(set(ws.skus()) | set(products)))
    month_source = "--month"
    if month is None:
        month = data_end(ws).month
        month_source = "month of the latest sales date"
    rows = []
    for sku in wanted:
        prod = products.get(sku, {})
        missing, defaults = [], []
        price, cost = optional_number(prod.get("price")), optional_number(prod.get("unit_cost"))
        for col, value in (("price", price), ("unit_cost", cost)):
            if value is None:
                missing.append(col)
        freight = optional_number(prod.get("freight_cost"))
        if freight is None:
            missing.append("freight_cost")
            defaults.append("freight 0")
        fba = optional_number(prod.get("fba_fee"))
        if fba is None:
            missing.append("fba_fee")
            defaults.append("FBA fee 0")
        referral = optional_number(prod.get("referral_pct"))
        if referral is None:
            referral = fees.DEFAULT_REFERRAL_RATE
            defaults.append(f"referral {referral:.0%}")
        cubic = optional_number(prod.get("cubic_feet"))
        storage = 0.0
        if cubic is None:
            missing.append("cubic_feet")
            defaults.append("storage 0")
        else:
            storage = fees.monthly_storage_fee(cubic, prod.get("size_tier"), month)
        if not prod:
            defaults = []
        row: dict[str, Any] = {"sku": sku, "title": prod.get("title")}
        if price is None or cost is None or price <= 0:
            row.update(
                {
                    "price": price,
                    "unit_cost": cost,
                    "storage_per_unit": storage,
                    "meets_target": None,
                    "status": "missing figures",
                }
            )
        else:
            ue = fees.unit_economics(
                price,
                cost,
                freight_per_unit=freight or 0.0,
                duty_rate=settings.duty_rate,
                fba_fee=fba or 0.0,
                referral_rate=referral,
                storage_per_unit=storage,
                target_margin=settings.target_gross_margin,
            )
            row.update(ue.to_dict())
            row["status"] = "ok" if ue.meets_target else "below target"
            if missing:
                row["status"] += " (figures missing)"
        row["missing"] = ", ".join(missing) if prod else "the whole products row"
        row["defaults"] = ", ".join(defaults)
        rows.append(row)
    columns = [
        "sku",
        "title",
        "price",
        "unit_cost",
        "freight_per_unit",
        "duty_per_unit",
        "landed_cost",
        "fba_fee",
        "referral_rate",
        "referral_fee",
        "storage_per_unit",
        "total_cost",
        "profit_per_unit",
        "gross_margin",
        "roi",
        "target_margin",
        "meets_target",
        "status",
        "missing",
        "defaults",
    ]
    out = pd.DataFrame(rows).reindex(columns=columns)
    out.attrs.update(
        {
            "month": int(month),
            "month_source": month_source,
            "target_margin": settings.target_gross_margin,
            "duty_rate": settings.duty_rate,
            "fee_table": str(fees.DEFAULT_FEE_FILE.name),
        }
    )
    return out


# --------------------------------------------------------------------------- stock history


def daily_stock(inventory: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Units on hand per SKU and day from ``start`` to ``end`` (inclusive), pooled over locations.

    Each location's stock on a day is its latest snapshot on or before that day (snapshots are
    not daily everywhere: a 3PL may report weekly), 0 before its first snapshot; on hand =
    available + reserved (as ``policy.pooled_position``: reserved FBA units are mostly transfers
    that come back to sellable stock). Returns a frame indexed by day, one column per SKU.
    """
    days = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="D")
    if inventory.empty or len(days) == 0:
        return pd.DataFrame(index=days)
    inv = inventory.copy()
    inv["on_hand"] = inv["available"].fillna(0.0) + inv["reserved"].fillna(0.0)
    inv["location"] = inv["location"].fillna("unknown")
    wide = inv.pivot_table(
        index="snapshot_date", columns=["sku", "location"], values="on_hand", aggfunc="last"
    ).sort_index()
    # Carry each location's last count forward to every day, then keep the period's days.
    full = wide.reindex(wide.index.union(days)).ffill().reindex(days).fillna(0.0)
    return full.T.groupby(level="sku").sum().T


# --------------------------------------------------------------------------- health


@dataclass
class Health:
    """Health tables of a workspace (``health_report``)."""

    table: pd.DataFrame  # one row per SKU
    total: dict[str, Any]  # the same figures over all SKUs
    inputs: dict[str, Any]  # period, settings used and the source of every input
    abc: dict[str, Any]  # c_class_cash_cap attrs: total, c_total, cap, excess, over_cap
    cash: dict[str, Any] | None = None  # CCC and stress test when cash figures were given
    notes: list[str] = field(default_factory=list)


def _days_of_supply(units: float, sold: float, days: int) -> float:
    rate = sold / days
    if rate <= 0:
        return math.inf
    return units / rate


def health_report(
    ws: Workspace,
    as_of: date | None = None,
    period_days: int = 365,
    settings: Settings | None = None,
) -> Health:
    """Turnover, days of inventory, aging, ABC classes and the low-inventory-level fee per SKU.

    Period: the ``period_days`` days ending on ``as_of`` (default: the latest sales date),
    clipped to the days the inventory history covers (from the first snapshot in the
    workspace), so COGS and the average stock are measured over the same days ``D``:

    - COGS = units sold in the period (``sales.units``, all channels) x ``products.unit_cost``;
    - average inventory at cost = mean over the D days of the pooled units on hand
      (``daily_stock``) x unit cost;
    - turnover per year = COGS / average inventory x 365 / D (``kpi.inventory_turnover``,
      R-K1), days of inventory = average / COGS x D (``kpi.days_of_inventory``) and
      ``kpi.turnover_status`` against the settings' alert and target band;
    - stock at cost on ``as_of`` = units on hand that day x unit cost;
    - a SKU without ``unit_cost`` or without any inventory row gets no turnover (status says
      which) and is left out of the totals;
    - ABC classes by period revenue (``kpi.abc_classes``) and the C-class cash cap on the stock
      at cost (``kpi.c_class_cash_cap``, R-M5; SKUs without unit cost count 0 there);
    - aging buckets and flags from the latest ``aging`` snapshot (``kpi.aging_from_report``,
      R-K2);
    - low-inventory-level fee (``fees.low_inventory_fee_applies``): days of supply = FBA
      available units on ``as_of`` / average daily Amazon units over the last 30 and 90 days
      (all channels and pooled stock when the workspace has no FBA location or Amazon channel);
      None for a SKU never stocked there.
    """
    settings = settings or ws.settings()
    period = int(period_days)
    if period < 1:
        raise InputError(
            f"period is {period_days} days", column="period_days", expected="1 day or more"
        )
    sales, inventory = ws.read("sales"), ws.read("inventory")
    products = ws.product_rows()
    end = as_of or data_end(ws)
    start = end - timedelta(days=period - 1)
    notes: list[str] = []
    if len(inventory):
        first_count = inventory["snapshot_date"].min().date()
        if first_count > start:
            notes.append(
                f"The inventory history starts on {first_count}: the period is "
                f"{first_count} to {end} instead of {period} days."
            )
            start = first_count
    covered = max(1, (end - start).days + 1)
    skus = ws.skus()
    if not skus:
        raise InputError(
            "the workspace has no SKUs yet", expected="imported sales, inventory or products"
        )
    counted = set(inventory["sku"].dropna().astype(str))
    stock = daily_stock(inventory, start, end).reindex(columns=skus, fill_value=0.0)

    in_period = sales[(sales["date"] >= pd.Timestamp(start)) & (sales["date"] <= pd.Timestamp(end))]
    units = in_period.groupby("sku")["units"].sum().reindex(skus, fill_value=0.0)
    revenue = in_period.groupby("sku")["revenue"].sum().reindex(skus, fill_value=0.0)

    channel = sales["channel"].astype("string").str.lower().fillna("")
    amazon = channel.str.startswith(FBA_CHANNEL_PREFIX)
    fba_sales = sales[amazon] if amazon.any() else sales
    latest = inventory[inventory["snapshot_date"] <= pd.Timestamp(end)]
    latest = latest.sort_values("snapshot_date").groupby(["sku", "location"]).tail(1)
    fba_rows = latest[latest["location"].astype("string") == FBA_LOCATION]
    if fba_rows.empty:
        fba_rows = latest
    stocked_at_fba = set(fba_rows["sku"].dropna().astype(str))
    fba_available = fba_rows.groupby("sku")["available"].sum().reindex(skus, fill_value=0.0)
    sold_30 = fba_sales[fba_sales["date"] > pd.Timestamp(end - timedelta(days=30))]
    sold_90 = fba_sales[fba_sales["date"] > pd.Timestamp(end - timedelta(days=90))]
    sold_30 = sold_30[sold_30["date"] <= pd.Timestamp(end)].groupby("sku")["units"].sum()
    sold_90 = sold_90[sold_90["date"] <= pd.Timestamp(end)].groupby("sku")["units"].sum()

    rows = []
    for sku in skus:
        cost = optional_number(products.get(sku, {}).get("unit_cost"))
        avg_units = float(stock[sku].mean()) if len(stock) else 0.0
        on_hand = float(stock[sku].iloc[-1]) if len(stock) else 0.0
        sold = float(units[sku])
        row: dict[str, Any] = {
            "sku": sku,
            "unit_cost": cost,
            "units_sold": sold,
            "revenue": float(revenue[sku]),
            "average_inventory_units": avg_units,
            "on_hand_units": on_hand,
        }
        if cost is None or sku not in counted:
            row.update(
                {
                    "cogs": sold * cost if cost is not None else math.nan,
                    "average_inventory_cost": math.nan,
                    "turnover_per_year": math.nan,
                    "days_of_inventory": math.nan,
                    "turnover_status": "no unit_cost in products"
                    if cost is None
                    else "no inventory history",
                    "inventory_cost": math.nan,
                }
            )
        else:
            cogs = sold * cost
            average = avg_units * cost
            turnover = kpi.inventory_turnover(cogs, average) * 365 / covered
            row.update(
                {
                    "cogs": cogs,
                    "average_inventory_cost": average,
                    "turnover_per_year": turnover,
                    "days_of_inventory": kpi.days_of_inventory(average, cogs, covered),
                    "turnover_status": kpi.turnover_status(
                        turnover,
                        settings.turnover_alert,
                        settings.turnover_target_low,
                        settings.turnover_target_high,
                    ),
                    "inventory_cost": on_hand * cost,
                }
            )
        d30 = _days_of_supply(float(fba_available[sku]), float(sold_30.get(sku, 0.0)), 30)
        d90 = _days_of_supply(float(fba_available[sku]), float(sold_90.get(sku, 0.0)), 90)
        row.update(
            {
                "fba_available_units": float(fba_available[sku]),
                "days_of_supply_30": d30,
                "days_of_supply_90": d90,
                # Only stock at Amazon pays the fee: a SKU never stocked there has none.
                "low_inventory_fee": fees.low_inventory_fee_applies(d30, d90)
                if sku in stocked_at_fba
                else None,
            }
        )
        rows.append(row)
    table = pd.DataFrame(rows)

    classes = kpi.abc_classes(
        pd.Series(table["revenue"].to_numpy(), index=table["sku"]),
        settings.abc_a_share,
        settings.abc_b_share,
    )
    cap = kpi.c_class_cash_cap(
        pd.Series(table["inventory_cost"].fillna(0.0).to_numpy(), index=table["sku"]),
        classes,
        settings.c_class_cash_cap,
    )
    table["abc_class"] = classes.to_numpy()
    table["c_class_excess_cost"] = cap["excess_cost"].to_numpy()

    aging = kpi.aging_from_report(
        ws.read("aging"),
        settings.aging_watch_days,
        settings.aging_discount_days,
        settings.aging_writedown_days,
    )
    keep = ["sku", *kpi.AGE_BUCKETS, "watch_units", "write_down_units", "status"]
    if len(aging):
        aged = aging[keep].rename(columns={"status": "aging_status"})
        aged = aged.rename(columns={b: f"age_{b}" for b in kpi.AGE_BUCKETS})
        aged["aging_snapshot"] = aging["snapshot_date"].astype(str)
        table = table.merge(aged, on="sku", how="left")
        table["aging_status"] = table["aging_status"].fillna("no aging report")
    else:
        table["aging_status"] = "no aging report"
        notes.append("The workspace has no aging report (Amazon FBA Inventory / Inventory Age).")

    costed = table[table["average_inventory_cost"].notna()]
    total_cogs = float(costed["cogs"].sum())
    total_avg = float(costed["average_inventory_cost"].sum())
    total_turnover = kpi.inventory_turnover(total_cogs, total_avg) * 365 / covered
    total = {
        "skus": len(table),
        "skus_without_unit_cost": int(table["unit_cost"].isna().sum()),
        "skus_without_inventory_history": int(
            (table["turnover_status"] == "no inventory history").sum()
        ),
        "units_sold": float(table["units_sold"].sum()),
        "revenue": float(table["revenue"].sum()),
        "cogs": total_cogs,
        "average_inventory_cost": total_avg,
        "turnover_per_year": total_turnover,
        "days_of_inventory": kpi.days_of_inventory(total_avg, total_cogs, covered),
        "turnover_status": kpi.turnover_status(
            total_turnover,
            settings.turnover_alert,
            settings.turnover_target_low,
            settings.turnover_target_high,
        ),
        "inventory_cost": float(costed["inventory_cost"].sum()),
        "low_inventory_fee_skus": int(table["low_inventory_fee"].eq(True).sum()),
    }
    inputs = {
        "as_of": end,
        "as_of_source": "--as-of" if as_of else "latest sales date in the workspace",
        "period_start": start,
        "period_end": end,
        "period_days": covered,
        "cogs": "sales.units in the period x products.unit_cost",
        "average_inventory": "daily inventory.available + reserved, pooled over locations, "
        "latest snapshot carried forward, x products.unit_cost",
        "revenue": "sales.revenue in the period (ABC classes)",
        "aging": "latest aging snapshot per SKU",
        "days_of_supply": "FBA available on as_of / Amazon units per day over 30 and 90 days",
        "settings": {
            name: getattr(settings, name)
            for name in (
                "turnover_alert",
                "turnover_target_low",
                "turnover_target_high",
                "aging_watch_days",
                "aging_discount_days",
                "aging_writedown_days",
                "abc_a_share",
                "abc_b_share",
                "c_class_cash_cap",
            )
        },
        "settings_source": "workspace settings (defaults from stockcycle.settings.Settings)",
    }
    return Health(table=table, total=total, inputs=inputs, abc=dict(cap.attrs), notes=notes)


def cash_figures(
    health: Health,
    *,
    receivables: float | None = None,
    payables: float | None = None,
    cash: float | None = None,
    liabilities: float | None = None,
    fixed_costs: float | None = None,
    supply_delay_days: float = 0.0,
    gross_margin: float | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Cash conversion cycle (R-K3) and the liquidity stress test (R-K4) from a health report.

    CCC = DIO + DSO - DPO with DIO the total days of inventory of ``health``, DSO =
    receivables / revenue x D and DPO = payables / COGS x D over the report's D days
    (``kpi.days_sales_outstanding`` / ``days_payable_outstanding``; a figure not given counts 0
    days). The stress test (``kpi.stress_test``) needs cash, liabilities and monthly fixed
    costs: monthly revenue = period revenue / D x 365 / 12, gross margin = ``gross_margin`` when
    given, else 1 - COGS / revenue (before Amazon fees and freight: COGS is purchase cost only,
    so this overstates what covers fixed costs; pass the margin after fees when known),
    inventory at cost on the report date, sales drop and cash-ratio warning from the settings.
    """
    settings = settings or Settings()
    total, days = health.total, health.inputs["period_days"]
    out: dict[str, Any] = {}
    dio = total["days_of_inventory"]
    dso = kpi.days_sales_outstanding(receivables or 0.0, total["revenue"], days)
    dpo = kpi.days_payable_outstanding(payables or 0.0, total["cogs"], days)
    out["cash_conversion_cycle"] = {
        "days_inventory": dio,
        "days_receivable": dso,
        "days_payable": dpo,
        "days": kpi.cash_conversion_cycle(dio, dso, dpo),
        "receivables": receivables,
        "payables": payables,
        "formula": "CCC = DIO + DSO - DPO (R-K3)",
    }
    given = {"cash": cash, "liabilities": liabilities, "fixed_costs": fixed_costs}
    if all(v is None for v in given.values()):
        return out
    lacking = [k for k, v in given.items() if v is None]
    if lacking:
        raise InputError(
            f"the stress test needs --{lacking[0].replace('_', '-')} too",
            column=lacking[0],
            expected="--cash, --liabilities and --fixed-costs together",
        )
    revenue = total["revenue"]
    monthly_revenue = revenue / days * DAYS_PER_MONTH
    margin_source = "--gross-margin"
    if gross_margin is None:
        margin = 1 - total["cogs"] / revenue if revenue > 0 else 0.0
        margin_source = "1 - COGS / revenue of the period (before Amazon fees)"
    else:
        margin = float(gross_margin)
    stress = kpi.stress_test(
        monthly_revenue,
        margin,
        float(fixed_costs or 0.0),
        float(cash or 0.0),
        float(liabilities or 0.0),
        total["inventory_cost"],
        sales_drop=settings.stress_sales_drop,
        supply_delay_days=supply_delay_days,
        cash_ratio_warning=settings.cash_ratio_warning,
    )
    out["stress_test"] = {
        **stress.to_dict(),
        "ok": stress.ok,
        "explain": stress.explain(),
        "sources": {
            "monthly_revenue": "period revenue / period days x 365 / 12",
            "gross_margin": margin_source,
            "inventory_cost": "stock at cost on the report date",
            "sales_drop": "settings.stress_sales_drop",
            "cash_ratio_warning": "settings.cash_ratio_warning",
        },
    }
    return out


def health_json(health: Health) -> dict[str, Any]:
    """The report as plain data (``commands.data.json_value`` makes it JSON-safe)."""
    table = health.table
    return {
        "inputs": health.inputs,
        "total": health.total,
        "abc_c_class_cap": health.abc,
        "cash": health.cash,
        "notes": health.notes,
        "skus": table.to_dict("records"),
    }
