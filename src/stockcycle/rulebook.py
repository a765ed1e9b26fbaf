"""The product rules the code cites (R-S1, R-L3, ...), in our words, and ``docs/rules.md``.

Each rule has one line here. ``rules_markdown`` builds the rules page from it: the rule, its
defaults (the settings that carry its code, ``stockcycle.settings``), the functions and
classes whose docstrings cite it, and the test files that check it. ``tests/test_rules_doc.py``
fails when ``docs/rules.md`` is not what this module builds, or when the code cites a rule that
is not listed here; ``python -m stockcycle.rulebook`` writes the page again.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from stockcycle.settings import Settings

#: Every rule: (title, what it says). Source: the product specification, shared with the team.
RULES: dict[str, tuple[str, str]] = {
    # Life-cycle stages
    "R-S1": (
        "One stage per product",
        "Each SKU is put in one stage (launch, growth, maturity, "
        "decline, exit) from its own sales curve and age, with the signal that put it "
        "there; the seller can pin another stage.",
    ),
    "R-S2": (
        "The stage sets the goal",
        "Launch: small trial buys, quick reaction. Growth: "
        "follow the forecast, avoid stockouts. Maturity: turnover and cost, lean safety "
        "stock. Decline: stop reordering, clear. Exit: best recovery and an exit date.",
    ),
    # Launch
    "R-L1": (
        "Peers from Xray",
        "Launch demand comes from comparable products of the search: "
        "the typical product in the seller's price band, the leaders only as a ceiling; "
        "the seller chooses the peer set.",
    ),
    "R-L2": (
        "Launch seasonality",
        "Events (Prime Day, Black Friday / Cyber Monday, holidays) "
        "and search-volume or competitor history adjust the launch demand.",
    ),
    "R-L3": (
        "First order size",
        "First order = expected sales over 30 days + 15 days of safety "
        "stock, expected daily sales = peers' daily sales x launch lift (default 1.5).",
    ),
    "R-L4": (
        "Lead time and service",
        "Supplier lead time is typically 30-60 days; the target "
        "chance of running out is 5% or less.",
    ),
    "R-L5": (
        "Split the first buy",
        "Order 70% of the launch quantity now; decide the other 30% on the first weeks of sales.",
    ),
    "R-L6": (
        "Unit economics",
        "Landed cost (unit cost, first-mile freight, FBA and referral "
        "fees) against the price, a 25% gross-margin target, and the cash the order needs.",
    ),
    "R-L7": (
        "Air or sea",
        "Air (7-14 days) for a first batch that must catch its launch "
        "window, sea (30-45 days) for replenishment; compare cost and stockout risk.",
    ),
    "R-L8": (
        "Launch monitor",
        "Alert when daily sales are outside plan +/-20% for 3 days in a "
        "row: below, promote or hold the follow-up; above, bring the follow-up forward.",
    ),
    # Growth
    "R-G1": ("Growth priority", "Restock first the SKUs with little cover and rising demand."),
    "R-G2": (
        "Forecast-led reorder point",
        "A seasonal forecast; safety stock and reorder point "
        "cover the supplier's lead time plus transit.",
    ),
    "R-G3": (
        "Keyword opportunity",
        "Search volume 30% above the category average with less "
        "than 50% competition marks a high-potential SKU and raises its priority.",
    ),
    "R-G4": (
        "Restock quantity",
        "Order size and date from safety stock, sales rate and lead "
        "time, split into several deliveries to spread cash and storage.",
    ),
    "R-G5": (
        "Weekly review",
        "Compare turnover and stockouts before and after a restock; flag "
        "fewer stockouts bought with much more cover (smaller batches next time).",
    ),
    # Maturity
    "R-M1": (
        "Base threshold",
        "Reorder threshold = daily sales x replenishment cycle, at a "
        "chance of running out under 5%.",
    ),
    "R-M2": (
        "Event threshold",
        "Raise the buffer before an event or promotion (default +30% from 7 days before).",
    ),
    "R-M3": ("Slow movers", "Over 90 days of cover: stop reordering and suggest clearance."),
    "R-M4": (
        "Maturity alerts",
        "Overstock (more than 3 months of sales), abnormal consumption "
        "(sales +200% with stock under safety stock), a competitor's price drop.",
    ),
    "R-M5": (
        "ABC and EOQ",
        "Days of cover, stock-to-sales ratio and cash tied up; class A "
        "tight, B at the economic order quantity, C with its cash capped at 5% of the "
        "total.",
    ),
    "R-M6": (
        "Alert tuning",
        "Flag SKUs whose alerts keep firing without turnover improving; "
        "each alert's sensitivity can be turned down.",
    ),
    # Decline
    "R-D1": (
        "Decline signal",
        "Weekly sales down 15% or more week over week, consecutively: "
        "lower stock targets, trim or cancel open orders.",
    ),
    "R-D2": (
        "Clearance scenarios",
        "Discounts, buy-one-get-one and promotions, each with its "
        "effect on sales (price elasticity), days to clear, revenue, profit and cash.",
    ),
    "R-D3": (
        "Fees avoided",
        "Storage fees and aged-inventory surcharges saved by clearing "
        "sooner count in each scenario.",
    ),
    "R-D4": (
        "Competitor prices",
        "The competitors' Xray prices are the reference for clearance prices.",
    ),
    "R-D5": (
        "Scenario profit",
        "Each scenario's profit includes ads, fees and commission; "
        "sensitivity over promotion length and ad budget.",
    ),
    # Exit
    "R-E1": (
        "Markdown plan",
        "A price path over time that clears the stock with the best total "
        "recovery, given elasticity, stock and holding costs.",
    ),
    "R-E2": (
        "Exit signals",
        "Falling search volume; storage and upkeep over 50% of the "
        "remaining stock's gross profit (exit now); a successor product's date.",
    ),
    "R-E3": (
        "Where the last units go",
        "Keep selling, liquidate, remove to own warehouse or "
        "another channel, donate or dispose: recovery minus cost of each; recommend one, "
        "with the exit date.",
    ),
    # Health and cash
    "R-K1": (
        "Turnover",
        "Turnover = cost of goods sold / average inventory; alert under 3 a year, target band 4-6.",
    ),
    "R-K2": (
        "Aging",
        "Age buckets 0-90, 91-180, 181-270, 271-365, 365+ days: over 90 watch, "
        "over 120 discount, over 180 write-down candidate.",
    ),
    "R-K3": ("Cash conversion cycle", "Days of inventory + days receivable - days payable."),
    "R-K4": (
        "Liquidity stress",
        "Sales -30% or a supply disruption: can cash cover 3-6 months "
        "of fixed costs; warn under a 0.5 cash ratio.",
    ),
    "R-K5": (
        "Volatility",
        "When daily sales vary by more than 20%, recompute safety stock and "
        "reorder point and show the cash it takes.",
    ),
    "R-K6": (
        "Forecast deviation",
        "Sales more than 15% off the plan trigger a re-plan "
        "(expedite above, promote or transfer below).",
    ),
    # Automation and channels
    "R-A1": (
        "Low-stock alert",
        "Threshold from 30-day sales, lead time and a safety factor, following live sales.",
    ),
    "R-A2": (
        "Daily check and notices",
        "A scheduled check without the app open; alerts by email and Slack.",
    ),
    "R-A3": ("Plan export", "Restock plans as CSV/XLSX for an ERP or a supplier."),
    "R-A4": (
        "Channels and locations",
        "Stock at FBA, WFS, own site, 3PL and supplier in one "
        "view, demand summed over channels, transfers suggested between locations.",
    ),
    # Amazon fees and limits
    "R-F1": (
        "Fee corridor",
        "Low-inventory-level fee under 28 days of supply, storage "
        "utilization surcharge over 22 weeks, aged surcharge from 181 days: each SKU's "
        "position shown, plans kept inside, the fees counted.",
    ),
    "R-F2": (
        "Capacity limits",
        "Planned arrivals fit the month's FBA capacity; what does not "
        "fit is ranked by margin at risk and waits elsewhere at a stated cost.",
    ),
    "R-F3": (
        "Size and weight",
        "Fulfilment, removal, disposal and liquidation fees follow size tier and shipping weight.",
    ),
    # Time and trust
    "R-T1": (
        "As of a date",
        "Every plan states its data date, shown on every page; old data is "
        "flagged; a date already past is shown as overdue, never silently.",
    ),
    "R-T2": (
        "No phantom stockouts",
        "A day without sales is zero demand unless the inventory "
        "shows no stock that day; a day the whole catalogue sold nothing is a closed day.",
    ),
    "R-T3": (
        "Honest accuracy",
        "Accuracy is measured out of sample, on the totals that size "
        "orders, against simple baselines.",
    ),
    "R-T4": (
        "Policy replay",
        "A reorder policy can be replayed on the seller's own history and "
        "compared with the days-of-supply rule other tools use.",
    ),
    "R-T5": (
        "One action per SKU",
        "Every SKU has one current action (order, hold, trim, clear, "
        "exit, fix data) with its urgency and the money at stake.",
    ),
}

CODE = re.compile(r"\bR-[A-Z][0-9]+\b")
#: How many implementing functions the page lists per rule before "and N more".
SHOWN_FUNCTIONS = 8


def _package_root() -> Path:
    return Path(__file__).resolve().parent


def cited_by_code(root: Path | None = None) -> dict[str, list[str]]:
    """``{rule: ["module.function", ...]}``: the functions and classes of the package whose
    docstrings cite each rule, sorted."""
    root = root or _package_root()
    out: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        module = ".".join(("stockcycle", *path.relative_to(root).with_suffix("").parts))
        module = module.removesuffix(".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                doc = ast.get_docstring(node) or ""
                for code in set(CODE.findall(doc)):
                    out.setdefault(code, set()).add(f"{module}.{node.name}")
    return {code: sorted(names) for code, names in out.items()}


def cited_anywhere(root: Path) -> set[str]:
    """Every rule code written anywhere in the ``.py`` files under ``root``."""
    return {c for p in root.rglob("*.py") for c in CODE.findall(p.read_text(encoding="utf-8"))}


def tested_by(tests: Path) -> dict[str, list[str]]:
    """``{rule: [test file names]}``: the test files that cite each rule."""
    out: dict[str, set[str]] = {}
    for path in sorted(tests.glob("test_*.py")):
        for code in set(CODE.findall(path.read_text(encoding="utf-8"))):
            out.setdefault(code, set()).add(path.name)
    return {code: sorted(names) for code, names in out.items()}


def defaults_by_rule() -> dict[str, list[str]]:
    """``{rule: ["name = default unit", ...]}`` from the settings that carry the rule's code."""
    out: dict[str, list[str]] = {}
    for f in Settings.field_info():
        for code in CODE.findall(f.get("rule") or ""):
            unit = f" {f['unit']}" if f.get("unit") else ""
            out.setdefault(code, []).append(f"`{f['name']}` = {f['default']}{unit}")
    return out


def _cell(items: list[str], limit: int | None = None) -> str:
    if not items:
        return "-"
    shown = items if limit is None else items[:limit]
    more = len(items) - len(shown)
    return "<br>".join(shown) + (f"<br>and {more} more" if more else "")


def rules_markdown(tests: Path) -> str:
    """The rules page: one table row per rule of ``RULES``."""
    functions = cited_by_code()
    checked = tested_by(tests)
    defaults = defaults_by_rule()
    lines = [
        "# The product rules",
        "",
        "The rule codes the code and the tests cite, in our words, with the settings that carry "
        "their defaults (changeable on the Settings page or with `stockcycle settings`), the "
        "functions whose docstrings cite them and the test files that check them.",
        "",
        "Built by `python -m stockcycle.rulebook` from `src/stockcycle/rulebook.py`; "
        "`tests/test_rules_doc.py` fails when this page is out of date.",
        "",
        "| Rule | What it says | Defaults | Implemented in | Tested in |",
        "|---|---|---|---|---|",
    ]
    for code, (title, text) in RULES.items():
        lines.append(
            f"| **{code}** {title} | {text} | {_cell(defaults.get(code, []))} | "
            f"{_cell([f'`{n}`' for n in functions.get(code, [])], SHOWN_FUNCTIONS)} | "
            f"{_cell([f'`{n}`' for n in checked.get(code, [])])} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    root = Path.cwd()
    (root / "docs" / "rules.md").write_text(rules_markdown(root / "tests"), encoding="utf-8")
    print("wrote docs/rules.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
