"""``stockcycle launch``: the launch plan from an Xray export on the command line (R-L1, R-L3,
R-L5, R-L6)."""

from __future__ import annotations

import json
import math
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


def plan(capsys, *args: str) -> dict:
    code, out, err = run(capsys, "--peers", str(XRAY), "--json", *args)
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
    expected = peers.peer_summary(peers.select_peers(comp, top_n=10))
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
    assert p["warnings"] == []


def test_price_from_the_peers_is_said_and_a_low_margin_warned(capsys) -> None:
    p = plan(capsys, "--unit-cost", "12")
    assert any("median price" in n for n in p["notes"])
    assert p["price"] == pytest.approx(p["peers"]["median_price"])
    assert p["unit_economics"]["meets_target"] is False
    assert any("below the 25% target" in w for w in p["warnings"])


def test_without_unit_cost_economics_are_left_out_and_said(capsys) -> None:
    p = plan(capsys)
    assert p["unit_economics"] is None and p["cash_needed"] is None
    assert any("--unit-cost" in n for n in p["notes"])


def test_human_output_lists_the_order(capsys) -> None:
    code, out, _ = run(capsys, "--peers", str(XRAY), "--peer-daily", "50", "--unit-cost", "5")
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
    code, out, err = run(capsys, "-w", str(ws.path), "--peer-daily", "50", "--json")
    assert code == 0, err
    p = json.loads(out)
    assert p["expected_daily_sales"] == 100  # 50 x the workspace's lift 2.0
    assert p["first_order_units"] == math.ceil(0.6 * 100 * 45)
    # The sample's three Xray snapshots; the seller's own ASINs are never peers.
    assert p["peers"]["snapshots"] == ["2026-08-31", "2026-09-30", "2026-10-31"]
    own = set(peers.own_asins(ws.read("products")))
    assert own and not own & set(p["peers"]["asins"])
