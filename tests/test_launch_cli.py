"""``stockcycle launch``: the launch plan from an Xray export on the command line (R-L1, R-L3,
R-L5, R-L6)."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from pathlib import Path

import pytest

from stockcycle import fees, peers
from stockcycle.cli import main
from stockcycle.ingest import parse_file
from stockcycle.sample import SAMPLE_DIR
from stockcycle.settings import Settings

XRAY = SAMPLE_DIR / "Xray_silicone-baking-mat_2026-10-31.csv"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["launch", *args])
    out, err = capsys.readouterr()
    return code, out, err


# No Amazon event falls in the 45 days from 1 March 2027: the day factor is 1 (R-L2), so
# today's date cannot move the numbers.
QUIET = ("--launch-date", "2027-03-01")


def plan(capsys, *args: str) -> dict:
    code, out, err = run(capsys, "--peers", str(XRAY), "--json", *QUIET, *args)
    assert code == 0, err
    return json.loads(out)


def test_seed_example_through_the_cli(capsys) -> None:
    p = plan(capsys, "--peer-daily", "50", "--lift", "1.5")
    # R-L3: 50/day x 1.5 = 75/day; 30 days = 2,250 + 15 days of safety stock = 1,125.
    assert p["expected_daily_sales"] == 75
    assert p["cycle_stock_units"] == 2250
    assert p["safety_stock_units"] == 1125
    # R-L5: 70% of 3,375 = 2,362.5 -> 2,363 now, the rest later.
    assert p["first_order_units"] == math.ceil(0.7 * 3375)
    assert p["first_order_units"] + p["follow_up_units"] == 3375
    assert p["peer_daily_sales_source"] == "given"


def test_peer_median_comes_from_the_xray_file(capsys) -> None:
    p = plan(capsys)
    comp = parse_file(XRAY, XRAY.name, search="x").tables["competitors"]
    # The typical product (R-L1): organic listings within +/-25% of the search's median
    # price (no --price given), up to the top 100 by BSR.
    organic = comp[~comp["sponsored"].astype(bool)]
    price = organic["price"].median()
    band = (price * 0.75, price * 1.25)
    expected = peers.peer_summary(peers.select_peers(comp, top_n=100, price_band=band))
    assert p["peers"]["price_band"] == pytest.approx(list(band))
    assert p["peers"]["n"] == expected.n
    assert p["peer_daily_sales"] == pytest.approx(expected.median)
    assert p["expected_daily_sales"] == pytest.approx(expected.median * Settings().launch_lift)
    assert p["peers"]["snapshots"] == ["2026-10-31"]  # the date in the file name


def test_asins_restrict_the_peer_set(capsys) -> None:
    comp = parse_file(XRAY, XRAY.name, search="x").tables["competitors"]
    organic = comp[~comp["sponsored"].astype(bool)]
    two = organic.sort_values("bsr")["asin"].iloc[[3, 7]].tolist()
    p = plan(capsys, "--asins", *two)
    assert sorted(p["peers"]["asins"]) == sorted(two)
    daily = organic.set_index("asin").loc[two, "monthly_sales"] / peers.DAYS_PER_MONTH
    assert p["peer_daily_sales"] == pytest.approx(daily.median())


def test_unit_economics_and_cash_from_the_given_costs(capsys) -> None:
    p = plan(
        capsys,
        "--peer-daily", "50",
        "--price", "24.99",
        "--unit-cost", "5",
        "--freight", "1.5",
        "--fba-fee", "4.2",
        "--duty-rate", "0.1",
    )  # fmt: skip
    econ = fees.unit_economics(24.99, 5, 1.5, 0.1, 4.2, 0.15, target_margin=0.25)
    assert p["unit_economics"]["landed_cost"] == pytest.approx(econ.landed_cost)
    assert p["unit_economics"]["gross_margin"] == pytest.approx(econ.gross_margin)
    assert p["cash_needed"] == pytest.approx(fees.cash_needed(p["first_order_units"], 5, 1.5, 0.1))
    assert not any("margin" in w for w in p["warnings"])


def test_price_from_the_peers_is_said_and_a_low_margin_warned(capsys) -> None:
    p = plan(capsys, "--unit-cost", "12")
    assert any("median price" in n for n in p["notes"])
    # The peers' median price in cents, as the Launch page prefills it.
    assert p["price"] == pytest.approx(round(p["peers"]["median_price"], 2))
    assert p["unit_economics"]["meets_target"] is False
    assert any("below the 25% target" in w for w in p["warnings"])


def test_without_unit_cost_economics_are_left_out_and_said(capsys) -> None:
    p = plan(capsys)
    assert p["unit_economics"] is None and p["cash_needed"] is None
    assert any("--unit-cost" in n for n in p["notes"])


def test_human_output_lists_the_order(capsys) -> None:
    code, out, _ = run(
        capsys, "--peers", str(XRAY), "--peer-daily", "50", "--unit-cost", "5", *QUIET
    )
    assert code == 0
    assert "2,250 cycle + 1,125 safety = 3,375 units" in out
    assert "first order 2,363 units" in out
    assert "Cash for the first order:" in out


def test_bad_file_exits_2_with_a_message_naming_it(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "not_xray.csv"
    bad.write_text("date,sku,units\n2026-01-01,A,3\n", encoding="utf-8")
    code, out, err = run(capsys, "--peers", str(bad))
    assert code == 2 and out == ""
    assert "not_xray.csv" in err and "Xray" in err
    code, _, err = run(capsys, "--peers", str(tmp_path / "missing.csv"))
    assert code == 2 and "missing.csv" in err


def test_workspace_settings_and_snapshots(capsys, sample_workspace) -> None:
    ws = sample_workspace
    ws.save_settings(Settings.from_dict({"launch_lift": 2.0, "first_order_share": 0.6}))
    code, out, err = run(capsys, "-w", str(ws.path), "--peer-daily", "50", "--json", *QUIET)
    assert code == 0, err
    p = json.loads(out)
    assert p["expected_daily_sales"] == 100  # 50 x the workspace's lift 2.0
    assert p["first_order_units"] == math.ceil(0.6 * 100 * 45)
    # The sample's three Xray snapshots; the seller's own ASINs are never peers.
    assert p["peers"]["snapshots"] == ["2026-08-31", "2026-09-30", "2026-10-31"]
    own = set(peers.own_asins(ws.read("products")))
    assert own and not own & set(p["peers"]["asins"])


def test_lead_time_is_production_plus_transit_plus_receiving(capsys) -> None:
    s = Settings()
    # --lead-time is production only; air 14 + receiving 5 come from Settings (R-L4, R-L7).
    air = plan(capsys, "--lead-time", "45")
    assert air["mode"] == "air"
    assert air["lead_time_days"] == 45 + s.air_days_max + s.receiving_days  # 64
    assert air["first_order_by"] == "2026-12-27"  # 1 March 2027 - 64 days
    sea = plan(capsys, "--lead-time", "45", "--mode", "sea")
    assert sea["lead_time_days"] == 45 + s.sea_days_max + s.receiving_days  # 95
    assert sea["first_order_by"] == "2026-11-26"  # 1 March 2027 - 95 days
    # The follow-up by sea, made after the decision: 95 days from order to arrival.
    cover = air["first_order_units"] / air["expected_daily_sales"]
    assert air["follow_up_lead_days"] == 95
    assert air["follow_up_decide_by"] == str(
        date(2027, 3, 1) + timedelta(days=math.floor(cover - 95))
    )


def test_events_in_the_launch_window_raise_the_order(capsys) -> None:
    # Launch 10 Nov 2026: Black Friday / Cyber Monday week and the Christmas run-up fall in
    # the 45 days the order covers, each of those days +50% (R-L2).
    p = plan(capsys, "--peer-daily", "50", "--launch-date", "2026-11-10")
    event_days = peers.event_days(date(2026, 11, 10), 45)
    factor = 1 + 0.5 * len(event_days) / 45
    assert len(event_days) > 0 and p["events"]
    assert p["demand_factor"] == pytest.approx(factor)
    assert p["expected_daily_sales"] == pytest.approx(75 * factor)
    flat = plan(capsys, "--peer-daily", "50", "--launch-date", "2026-11-10", "--no-events")
    assert flat["demand_factor"] == 1 and flat["total_units"] == 3375


def test_no_sales_means_no_follow_up(capsys) -> None:
    p = plan(capsys, "--peer-daily", "0")
    assert p["follow_up_decide_by"] is None and p["follow_up_units"] == 0
    assert any("no follow-up needed" in n for n in p["notes"])
    code, out, _ = run(capsys, "--peers", str(XRAY), "--peer-daily", "0", *QUIET)
    assert code == 0
    assert "no follow-up needed" in out and "decide by" not in out


def test_own_launches_warn_when_the_order_dwarfs_them(capsys, sample_workspace) -> None:
    # NW-BMAT-XL (Bakeware): the sample's two other Bakeware launches of the last two years,
    # NW-BMAT-MAC (8 units in its first 30 days) and NW-BMAT-ROLL (7): median 7.5 / 30 =
    # 0.25/day; the seed example's 2,363 units last 31.5 days -> 7.9 units: 75 / 0.25 =
    # 300x, warned.
    code, out, err = run(
        capsys, "-w", str(sample_workspace.path), "--sku", "NW-BMAT-XL",
        "--peer-daily", "50", "--json", *QUIET,
    )  # fmt: skip
    assert code == 0, err
    p = json.loads(out)
    own = p["own_launches"]
    assert own["comparable"] == "in 'Bakeware'"
    assert sorted(r["sku"] for r in own["launches"]) == ["NW-BMAT-MAC", "NW-BMAT-ROLL"]
    assert own["own_daily"] == pytest.approx(0.25)
    assert own["ratio"] == pytest.approx(300.0)
    assert any("your own launches" in w for w in p["warnings"])
    # The product's own price centres the band: 24.99 +/- 25%.
    assert p["peers"]["price_band"] == pytest.approx([24.99 * 0.75, 24.99 * 1.25])


def test_a_sku_without_its_own_search_borrows_none(capsys, sample_workspace) -> None:
    code, out, err = run(capsys, "-w", str(sample_workspace.path), "--sku", "NW-UT-LADLE", *QUIET)
    assert code == 2 and out == ""
    assert "NW-UT-LADLE has no Xray search" in err
    code, _, err = run(
        capsys, "-w", str(sample_workspace.path), "--search", "spatula", "--json", *QUIET
    )
    assert code == 2 and "spatula" in err


def test_recent_entrants_are_a_second_opinion_in_the_json(capsys, tmp_path) -> None:
    # Three organic listings of the sample's Xray re-dated to March 2026 join the two it
    # already has (created within 18 months of the 31 Oct 2026 snapshot): five recent
    # entrants, beside the base, not the base.
    import csv

    import pandas as pd

    with XRAY.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    organic = [r for r in rows if r["Display Order"] != "Sponsored"][:3]
    for r in organic:
        r["Creation Date"] = "Mar 1, 2026"
    edited = tmp_path / XRAY.name
    with edited.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    code, out, err = run(capsys, "--peers", str(edited), "--json", *QUIET)
    assert code == 0, err
    p = json.loads(out)
    young = p["recent_entrants"]
    snapshot = pd.Timestamp("2026-10-31")
    entrants = [
        r
        for r in rows
        if r["Display Order"] != "Sponsored"
        and (snapshot - pd.Timestamp(r["Creation Date"])).days <= 548
    ]
    daily = sorted(float(r["ASIN Sales"].replace(",", "")) / MONTH_DAYS for r in entrants)
    assert young["count"] == len(daily) == 5
    assert young["median_daily"] == pytest.approx(daily[2])
    assert "18 months" in young["rule"]
    # The first order scales with daily sales (R-L3): first order x entrants / peer figure.
    assert young["implied_first_order_units"] == pytest.approx(
        p["first_order_units"] * daily[2] / p["peer_daily_sales"]
    )
    code, out, _ = run(capsys, "--peers", str(edited), *QUIET)
    assert "Recent entrants (5," in out


MONTH_DAYS = 365 / 12
