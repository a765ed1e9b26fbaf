"""Today: one current action per SKU, with its urgency and the money at stake (R-T5).

The seller's daily question is "what do I do today, for each of my products?". This service
answers it from the pieces that already decide each part: the restock plan
(``restock.restock_plan``, made on ``today`` from the data date, R-T1), the life-cycle stage
(``lifecycle.stage_table``, R-S1/R-S2) and the products table. It computes nothing new about
quantities or dates: the order, its date and the days it is overdue are the plan's, so the
Today page, ``stockcycle today`` and ``stockcycle plan`` / the Growth page always agree.

Actions, one per SKU, decided in this order (the first that applies wins):

1. **Fix data**: the SKU could not be planned ("Not planned: ..." row, or no forecast at
   all), or it has no stock figures (the plan would order as if nothing were on hand), or it
   is a decline/exit SKU without a unit cost, whose cash tied up is the money at stake.
2. **Trim open order**: a decline or exit SKU with units on open purchase orders (R-D1:
   "cancel or trim open orders").
3. **Exit**: an exit SKU (R-E1..R-E3: markdown, residual value, exit date).
4. **Clear stock**: a decline SKU with stock on hand (R-D2); with nothing on hand: Hold.
5. **Order N units by <date>** / **Overdue by N days: order N units now**: the plan orders.
6. **Hold**: enough stock (including slow movers held in protection mode, R-M3).

Urgency, an ordered scale (``URGENCY``; rank 1 is the most urgent):

1. *Overdue*: the plan's order date is before today.
2. *Due soon*: an order due within the SKU's total lead time from today; a trim (it works
   only before the supplier ships); a data fix (the SKU has no plan to trust until then).
3. *Later*: an order due after that; clear stock and exit (plans over weeks).
4. *Hold*: nothing to do today.

Money at stake (``money_at_stake``, in the products table's currency):

- Orders: the **margin at risk of a stockout before the order can land** =
  lost units x unit margin. Lost units (``restock.late_arrival``, the same figure as the plan's
  "lands after the stock runs out" note): forecast demand that the stock on hand and on open
  orders cannot serve, from today to the day before the order becomes sellable; the order is
  placed on max(order date, today) and sellable a total lead time later
  (``restock.order_arrival``). Sales before today are already lost, not at stake; a stockout
  that an open order ends before this order is needed costs nothing here. Unit margin = price
  - unit cost - freight of the plan's shipping mode (``restock.unit_margin``; Amazon's referral
  and FBA fees are not taken off). 0 when the order lands in time. Source: SPEC R-T5, R-F2
  ("margin at risk of a stockout"), R-L7.
- Clear stock and Exit: **cash tied up** = units on hand x unit cost (R-M5, R-K2).
- Trim open order: **cash on order** = units on open purchase orders x unit cost: what a
  cancelled order no longer costs.
- Hold: 0 (nothing at risk today). Unknown (NaN) when the price or unit cost it needs is
  blank; the reason then names the products column to fill.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd

from stockcycle import datadate, fees, pages, restock
from stockcycle.settings import Settings
from stockcycle.store import Workspace

#: The urgency scale, most urgent first: label -> rank (see the module doc).
URGENCY: dict[str, int] = {"Overdue": 1, "Due soon": 2, "Later": 3, "Hold": 4}

#: Kinds of action, in the seller's words (the filter on the Today page).
ACTION_TYPES = ("Order", "Trim open order", "Clear stock", "Exit", "Fix data", "Hold")

#: The page where the seller acts on an action that is not an order of the SKU's stage.
ACTION_PAGES: dict[str, str] = {
    "Trim open order": "Decline",
    "Clear stock": "Decline",
    "Exit": "Exit",
    "Fix data": "Data",
}


def action_page(stage: str | None, action_type: str) -> str:
    """The title of the page where the seller acts (``stockcycle.pages``): clearing and
    trimming on Decline, exiting on Exit, data fixes on Data; an order or a hold on the page of
    the SKU's stage (Launch, Growth, Maturity), Growth when the stage is unknown."""
    return ACTION_PAGES.get(action_type) or pages.stage_page(stage) or "Growth"


#: Said once when no product has stock figures (sales imported, no inventory report).
NO_STOCK_WARNING = (
    "No stock figures in this workspace: every product is planned as if nothing were on hand, "
    "so each one asks for its data first. Import an FBA inventory report (Manage FBA "
    "Inventory) or an inventory table on the Data page."
)

TODAY_COLUMNS = [
    "sku",
    "title",
    "stage",
    "action",
    "action_type",
    "urgency",
    "urgency_rank",
    "due_date",
    "overdue_days",
    "money_at_stake",
    "money_basis",
    "order_units",
    "cash_needed",
    "days_of_cover",
    "as_of",
    "reason",
    "page",
]


@dataclass
class TodayResult:
    """The Today table (``TODAY_COLUMNS``, most urgent first) with the dates it was made on."""

    table: pd.DataFrame
    today: date
    as_of: date | None  # the data date (R-T1)
    # The fee corridor in days of supply (``corridor_days``, from the fee table, R-F1).
    low_inventory_days: float
    storage_utilization_days: float
    warnings: list[str] = field(default_factory=list)  # about the whole workspace

    def corridor_text(self) -> str:
        """The fee corridor in a seller's words: under N days of supply the low-inventory fee,
        over M days (W weeks) the storage utilization surcharge."""
        text = (
            f"Under {self.low_inventory_days:g} days of supply Amazon may charge the "
            "low-inventory-level fee"
        )
        if math.isfinite(self.storage_utilization_days):
            weeks = self.storage_utilization_days / 7
            text += (
                f"; over {self.storage_utilization_days:g} days ({weeks:g} weeks) the storage "
                "utilization surcharge starts"
            )
        return text + "."

    def dates_line(self) -> str:
        """ "As of <data date>, planned on <today>" (R-T1)."""
        data = datadate.long_date(self.as_of) if self.as_of else "no data"
        return f"As of {data}, planned on {datadate.long_date(self.today)}"

    def stale_warning(self) -> str | None:
        """The stale-data warning (``datadate.stale_data_warning``), None for recent data."""
        return datadate.stale_data_warning(self.today, self.as_of)

    def explain(self) -> str:
        """The rules and formulas behind the table, in Markdown."""
        return (
            "**Action** (one per SKU; the first rule that applies): *Fix data* when the SKU "
            "could not be planned, has no stock figures, or is a decline/exit SKU without a "
            "unit cost; *Trim open order* for a decline or exit SKU with units on open purchase "
            "orders (R-D1); *Exit* for an exit SKU; *Clear stock* for a decline SKU with stock "
            "(R-D2); *Order* when the restock plan orders (R-G4; its quantity, date and overdue "
            "days are the plan's, R-T1); otherwise *Hold*.\n\n"
            "**Urgency**: 1 Overdue (order date before today) > 2 Due soon (order due within the "
            "SKU's total lead time; trims; data fixes) > 3 Later (later orders; clear stock; "
            "exit) > 4 Hold. The table is sorted by urgency, then by money at stake.\n\n"
            "**Money at stake**:\n"
            "- Order: margin at risk = lost units x (price - unit cost - freight of the "
            "shipping mode). Lost units = forecast demand that the stock on hand and on open "
            "orders cannot serve, from today to the day before an order placed on max(order "
            "date, today) becomes sellable (placed + total lead time). 0 when the order lands "
            "in time. "
            "Amazon's referral and FBA fees are not taken off (the same margin as the plan's "
            "late-order note).\n"
            "- Clear stock, Exit: cash tied up = units on hand x unit cost.\n"
            "- Trim open order: cash on order = units on open purchase orders x unit cost.\n"
            "- Hold: 0. Blank when the price or unit cost it needs is missing.\n\n"
            f"**Fee corridor** (R-F1, fee table): {self.corridor_text()} Days of cover here = "
            "units on hand / "
            "forecast daily demand over the lead time (the plan's figure); Amazon measures "
            "days of supply on the last 30 and 90 days' sales instead."
        )


def corridor_days(table: fees.FeeTable | None = None) -> tuple[float, float]:
    """The FBA fee corridor in days of supply, from the fee table (R-F1): the low-inventory-level
    fee's threshold (28 days in the 2026 table) and the storage utilization surcharge's (22
    weeks = 154 days; infinite when the table has no such surcharge)."""
    t = table or fees.load_fee_table()
    return fees.low_inventory_threshold(t), fees.storage_utilization_threshold_weeks(t) * 7


def margin_at_risk(
    supply: restock.SkuSupply, row: dict[str, Any], today: date
) -> tuple[float, float | None]:
    """(lost units, unit margin) of an order that lands after the stock runs out.

    Lost units: the plan's own figure (``restock.late_arrival``): forecast demand the stock on
    hand and on order cannot serve from today until the order becomes sellable; 0 when it
    lands in time. Unit margin = price - unit cost - freight of the plan's mode
    (``restock.unit_margin``), None without a price or a unit cost. Money at stake = lost units
    x unit margin.
    """
    late = restock.late_arrival(supply, row, today)
    return (late.lost_units if late else 0.0), restock.unit_margin(supply, row["shipping_mode"])


def _open_po_units(supply: restock.SkuSupply) -> float:
    """Units on open purchase orders (not the reported inbound, already on its way)."""
    arrivals = supply.arrivals
    if arrivals.empty:
        return 0.0
    return float(arrivals.loc[arrivals["source"] != "inbound", "units"].sum())


def _money(units: float, unit_cost: float | None) -> float:
    return units * unit_cost if unit_cost is not None else float("nan")


def _decide(
    sku: str,
    stage: str | None,
    row: dict[str, Any] | None,
    supply: restock.SkuSupply | None,
    today: date,
) -> dict[str, Any]:
    """The action of one SKU (see the module doc): action, action_type, urgency, due_date,
    overdue_days, money_at_stake, money_basis, order_units, days_of_cover, reason."""
    nan = float("nan")
    out: dict[str, Any] = {
        "due_date": None,
        "overdue_days": 0,
        "money_at_stake": nan,
        "money_basis": "",
        "order_units": 0,
        "cash_needed": nan,
        "days_of_cover": nan if row is None else row["days_of_cover"],
    }

    def fix(why: str) -> dict[str, Any]:
        return {
            **out,
            "action": "Fix data",
            "action_type": "Fix data",
            "urgency": "Due soon",
            "reason": why,
        }

    def hold(why: str) -> dict[str, Any]:
        return {
            **out,
            "action": "Hold",
            "action_type": "Hold",
            "urgency": "Hold",
            "money_at_stake": 0.0,
            "reason": why,
        }

    if row is None or supply is None:
        why = (
            row["reason"]
            if row is not None
            else "Not planned: no forecast for this SKU (no sales history). Import its sales, "
            "or size a new product's first order on the Launch page."
        )
        return fix(why)
    reason = row["reason"]
    if not supply.stock_known:
        return fix(
            "No stock figures for this SKU: import an FBA inventory report or an inventory "
            "table (inventory.available). Until then its plan assumes nothing is on hand."
        )
    cost = supply.unit_cost
    if stage in restock.NO_REORDER_STAGES:
        on_order = _open_po_units(supply)
        if on_order > 0:
            money = _money(on_order, cost)
            note = "" if cost is not None else " Fill products.unit_cost to count its cash."
            return {
                **out,
                "action": "Trim open order",
                "action_type": "Trim open order",
                "urgency": "Due soon",
                "money_at_stake": money,
                "money_basis": "cash on order",
                "reason": f"{stage.capitalize()} stage with {on_order:,.0f} units on open "
                "purchase orders: trim or cancel them before they ship (R-D1)." + note,
            }
        if cost is None:
            return fix(
                f"{stage.capitalize()} stage with {supply.on_hand:,.0f} units on hand, but "
                "products.unit_cost is blank: the cash tied up cannot be counted. Fill it in, "
                "then clear the stock."
            )
        if stage == "exit" or supply.on_hand > 0:
            action = "Exit" if stage == "exit" else "Clear stock"
            return {
                **out,
                "action": action,
                "action_type": action,
                "urgency": "Later",
                "money_at_stake": _money(supply.on_hand, cost),
                "money_basis": "cash tied up",
                "reason": reason,
            }
        return hold("Decline stage: nothing on hand to clear.")
    units = int(row["order_units"])
    if units > 0 and row["order_date"] is not None:
        overdue = int(row["overdue_days"])
        due = row["order_date"]
        if overdue > 0:
            action = f"Overdue by {datadate.days_text(overdue)}: order {units:,} units now"
            urgency = "Overdue"
        else:
            action = f"Order {units:,} units by {datadate.long_date(due)}"
            soon = due <= today + timedelta(days=math.ceil(row["lead_time_days"]))
            urgency = "Due soon" if soon else "Later"
        lost, margin = margin_at_risk(supply, row, today)
        if margin is None:
            money = 0.0 if lost == 0 else nan
            missing = [c for c, v in (("price", supply.price), ("unit_cost", cost)) if v is None]
            if lost > 0:
                reason += (
                    f" About {lost:,.0f} units of sales are at risk; fill products."
                    f"{' and products.'.join(missing)} to count their margin."
                )
        else:
            money = lost * margin
        return {
            **out,
            "action": action,
            "action_type": "Order",
            "urgency": urgency,
            "due_date": due,
            "overdue_days": overdue,
            "money_at_stake": money,
            "money_basis": "margin at risk",
            "order_units": units,
            "cash_needed": row["cash_needed"],
            "reason": reason,
        }
    return hold(reason)


def today_table(
    ws: Workspace,
    *,
    today: date | None = None,
    settings: Settings | None = None,
    batch: Any | None = None,
    stages: pd.DataFrame | None = None,
    as_of: date | None = None,
    supplies: dict[str, restock.SkuSupply] | None = None,
    plan: pd.DataFrame | None = None,
) -> TodayResult:
    """One row per SKU of the workspace (every SKU of ``ws.skus()`` and of the stage table):
    its one current action, urgency, due date, overdue days, money at stake, data date
    (``as_of``), reason and the page to act on (``TODAY_COLUMNS``), sorted by urgency, then
    money at stake (largest first, unknown last), then SKU. See the module doc for the rules
    and formulas.

    ``today`` (R-T1; default ``datadate.today()``): the day the plan is made; an order date
    before it is overdue. ``batch``/``stages``: a ``forecast.run_batch`` result and a
    ``lifecycle.stage_table`` to reuse (computed here when None: both are cached or cheap).
    ``as_of``: decide on the data up to that day only (a look back: forecast, stages, stock
    and open orders as they were then); default all of it. ``supplies`` and ``plan``: a
    ``restock.load_supply`` result and its ``restock.restock_plan`` made on ``today``, to reuse
    (the daily check has them already).
    """
    from stockcycle.forecast import run_batch
    from stockcycle.lifecycle import stage_table

    settings = settings or ws.settings()
    today = today or datadate.today()
    if stages is None:
        stages = stage_table(ws, settings=settings, as_of=as_of)
    problems: dict[str, str] = {}
    skus = sorted(set(ws.skus()) | set(stages["sku"]))
    if skus and supplies is None:
        if batch is None:
            batch = run_batch(ws, as_of=as_of)
        supplies = restock.load_supply(
            ws, batch=batch, settings=settings, stages=stages, errors=problems, as_of=as_of
        )
    supplies = supplies or {}
    if plan is None:
        plan = (
            restock.restock_plan(ws, settings=settings, supplies=supplies, today=today)
            if supplies
            else pd.DataFrame(columns=restock.PLAN_COLUMNS)
        )
    rows_of = {r["sku"]: r for r in plan.to_dict("records")}
    stage_of = dict(zip(stages["sku"], stages["stage"], strict=True)) if len(stages) else {}
    for sku, problem in problems.items():
        rows_of[sku] = restock.not_planned_row(sku, problem, stage_of.get(sku))
    products = ws.product_rows()
    data_date = ws.data_date()
    if as_of is not None and data_date is not None:
        data_date = min(data_date, as_of)
    rows = []
    for sku in skus:
        row = rows_of.get(sku)
        stage = stage_of.get(sku, row["stage"] if row else None)
        decided = _decide(sku, stage, row, supplies.get(sku), today)
        as_of = row["as_of"] if row is not None and row["as_of"] is not None else data_date
        title = products.get(sku, {}).get("title")
        rows.append(
            {
                "sku": sku,
                "title": title if isinstance(title, str) else "",
                "stage": stage,
                **decided,
                "urgency_rank": URGENCY[decided["urgency"]],
                "as_of": as_of,
                "page": action_page(stage, decided["action_type"]),
            }
        )
    table = pd.DataFrame(rows, columns=TODAY_COLUMNS)
    if len(table):
        table = (
            table.assign(_money=table["money_at_stake"].astype(float).fillna(-math.inf))
            .sort_values(["urgency_rank", "_money", "sku"], ascending=[True, False, True])
            .drop(columns="_money")
            .reset_index(drop=True)
        )
    low, high = corridor_days()
    warnings = []
    if supplies and not any(s.stock_known for s in supplies.values()):
        # Sales without any inventory report: say it once, not only on every row.
        warnings.append(NO_STOCK_WARNING)
    return TodayResult(
        table=table,
        today=today,
        as_of=restock.table_as_of(table) or data_date,
        low_inventory_days=low,
        storage_utilization_days=high,
        warnings=warnings,
    )
