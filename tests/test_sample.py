"""The sample workspace: reproducible, every stage present, files that agree with each other,
and a clean import through the real parsers (R-S1 test data, R-K2 aging, R-A4 channels)."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stockcycle import sample
from stockcycle.cli import main as cli_main
from stockcycle.schema import TABLES
from stockcycle.store import Workspace


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sample")
    sample.generate(folder, seed=7)
    return folder


@pytest.fixture(scope="module")
def manifest(out) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sims():
    """The intended sales and stock behind the files (the generator's first draws)."""
    dates = pd.date_range(sample.START, sample.END, freq="D")
    return {s.item.sku: s for s in sample._simulate_catalogue(np.random.default_rng(7), dates)}


def _file(manifest: dict, prefix: str) -> str:
    (name,) = [f["name"] for f in manifest["files"] if f["name"].startswith(prefix)]
    return name


def _rows(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def _files_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.name: p.read_bytes()
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.startswith(".")
    }


def test_generate_is_byte_for_byte_reproducible(out, tmp_path):
    sample.generate(tmp_path / "again", seed=7)
    assert _files_bytes(tmp_path / "again") == _files_bytes(out)


def test_committed_sample_matches_the_generator(out):
    if not (sample.SAMPLE_DIR / "manifest.json").is_file():
        pytest.skip("sample_data/ not generated in this checkout")
    committed = _files_bytes(sample.SAMPLE_DIR)
    fresh = _files_bytes(out)
    assert sorted(committed) == sorted(fresh)
    stale = [name for name in fresh if committed[name] != fresh[name]]
    assert not stale, f"sample_data/ is stale, rerun 'stockcycle sample --out sample_data': {stale}"


def test_files_listed_exist_and_stay_small(out, manifest):
    names = {f["name"] for f in manifest["files"]}
    assert names | {"manifest.json"} == set(_files_bytes(out))
    assert sum(p.stat().st_size for p in out.iterdir()) < 15 * 1024 * 1024
    assert [n for n in names if n.startswith("Xray_")] and [
        n for n in names if n.startswith("Cerebro_")
    ]


def test_manifest_covers_every_stage_and_pattern(manifest, out):
    skus = manifest["skus"]
    assert 35 <= len(skus) <= 45
    stages = pd.Series([s["stage"] for s in skus]).value_counts()
    assert set(stages.index) == {"launch", "growth", "maturity", "decline", "exit"}
    assert stages["launch"] >= 2 and 2 <= stages["exit"] <= 3
    assert stages["maturity"] > stages["growth"] >= 3 and stages["decline"] >= 3
    intermittent = [s for s in skus if s["pattern"] == "intermittent"]
    assert 3 <= len(intermittent) <= 5
    assert sum(s["stockout_days"] > 0 for s in skus) >= 3
    assert {"Amazon.com", "Non-Amazon", "Walmart"} <= {c for s in skus for c in s["channels"]}


def _all_sales(out: Path, manifest: dict) -> pd.DataFrame:
    """Daily units per (date, sku, channel) read straight from the files (no stockcycle code):
    sales_history plus the All Orders lines (exact duplicates dropped once, cancelled lines
    and negative quantities left out)."""
    hist = pd.read_csv(out / "sales_history.csv")[["date", "sku", "channel", "units"]]
    lines = pd.read_csv(
        out / _file(manifest, "All_Orders_"), sep="\t", dtype=str, keep_default_na=False
    ).drop_duplicates()
    lines = lines[(lines["order-status"] != "Cancelled")]
    lines["units"] = lines["quantity"].astype(int)
    lines = lines[lines["units"] > 0]
    lines["date"] = lines["purchase-date"].str[:10]
    orders = (
        lines.rename(columns={"sales-channel": "channel"})
        .groupby(["date", "sku", "channel"], as_index=False)["units"]
        .sum()
    )
    return pd.concat([hist, orders], ignore_index=True)


def test_sales_files_are_continuous_and_do_not_overlap(out, manifest):
    hist = pd.read_csv(out / "sales_history.csv", parse_dates=["date"])
    orders = pd.read_csv(
        out / _file(manifest, "All_Orders_"), sep="\t", dtype=str, keep_default_na=False
    )
    first_order = pd.Timestamp(orders["purchase-date"].str[:10].min())
    assert first_order == pd.Timestamp(manifest["orders_start"])
    assert pd.Timestamp(orders["purchase-date"].str[:10].max()) == pd.Timestamp("2026-10-31")
    amazon = hist[hist["channel"] != "Walmart"]
    assert amazon["date"].max() == first_order - pd.Timedelta(days=1)
    assert hist["date"].min() <= pd.Timestamp("2024-04-01")
    # Walmart is not in the All Orders file, so its history runs to the end.
    assert hist.loc[hist["channel"] == "Walmart", "date"].max() == pd.Timestamp("2026-10-31")
    assert set(orders["sales-channel"]) == {"Amazon.com", "Non-Amazon"}
    assert (orders["order-status"] == "Cancelled").sum() > 0
    assert (orders["quantity"].astype(int) < 0).sum() == 2
    assert orders.duplicated().sum() >= 3
    assert hist["revenue"].round(2).equals((hist["units"] * hist["price"]).round(2))


def test_daily_sums_of_the_files_are_the_intended_sales(out, manifest, sims):
    got = _all_sales(out, manifest).set_index(["date", "sku", "channel"])["units"]
    assert not got.index.duplicated().any()
    dates = pd.date_range(sample.START, sample.END, freq="D").strftime("%Y-%m-%d")
    want = {}
    for sku, sim in sims.items():
        for c, channel in enumerate(sample.CHANNELS):
            for d in np.flatnonzero(sim.units[:, c]):
                want[(dates[d], sku, channel)] = int(sim.units[d, c])
    assert got.to_dict() == want


def test_launch_with_exactly_three_weeks_of_sales(out, manifest):
    sales = _all_sales(out, manifest)
    first = sales.groupby("sku")["date"].min()
    launches = [s["sku"] for s in manifest["skus"] if s["stage"] == "launch"]
    days = {sku: (date(2026, 10, 31) - date.fromisoformat(first[sku])).days + 1 for sku in launches}
    assert 21 in days.values()
    assert all(7 <= d <= 61 for d in days.values())


def test_prime_day_and_q4_show_in_the_sales(out, manifest):
    sales = _all_sales(out, manifest)
    daily = sales.groupby("date")["units"].sum()
    daily.index = pd.to_datetime(daily.index)
    for first, last in [
        ("2024-07-16", "2024-07-17"),
        ("2025-07-08", "2025-07-11"),
        ("2026-07-08", "2026-07-11"),
    ]:
        event = daily[first:last].mean()
        week_before = daily[
            pd.Timestamp(first) - pd.Timedelta(days=14) : pd.Timestamp(first) - pd.Timedelta(days=8)
        ].mean()
        assert event > 2 * week_before, first
    mature = [s["sku"] for s in manifest["skus"] if s["stage"] == "maturity"]
    m = sales[sales["sku"].isin(mature)].groupby("date")["units"].sum()
    m.index = pd.to_datetime(m.index)
    q4 = m["2025-10-01":"2025-12-31"].mean()
    base = m["2025-04-01":"2025-06-30"].mean()
    assert q4 > 1.3 * base
    assert m["2025-12-01":"2025-12-20"].mean() > m["2026-01-10":"2026-01-31"].mean() * 1.5


def test_inventory_agrees_with_sales(out, manifest):
    inv = pd.read_csv(out / "inventory_history.csv")
    fba = inv[inv["location"] == "FBA"].set_index(["snapshot_date", "sku"])
    sales = _all_sales(out, manifest)
    total = sales.groupby(["date", "sku"])["units"].sum()
    fba_units = sales[sales["channel"] != "Walmart"].groupby(["date", "sku"])["units"].sum()
    joined = (
        fba.join(total.rename("sold").rename_axis(["snapshot_date", "sku"]))
        .join(fba_units.rename("fba_sold").rename_axis(["snapshot_date", "sku"]))
        .fillna(0)
    )
    # Opening stock covers the day's FBA orders; an empty FBA means no sales on any channel.
    assert (joined["available"] >= joined["fba_sold"]).all()
    assert (joined.loc[joined["available"] == 0, "sold"] == 0).all()
    # Stockouts are visible: runs of 3+ days at 0 for every SKU the manifest says ran out.
    for s in manifest["skus"]:
        if s["stockout_days"] == 0:
            continue
        zero = fba.loc[(slice(None), s["sku"]), "available"].eq(0).to_numpy()
        longest = max(len(r) for r in "".join("1" if z else "0" for z in zero).split("0"))
        assert longest >= 3, s["sku"]
    three_pl = inv[inv["location"] == "3PL"]
    assert len(three_pl) and pd.to_datetime(three_pl["snapshot_date"]).dt.dayofweek.nunique() == 1
    # Today's FBA snapshot in the Amazon report is the history's last day.
    report = pd.read_csv(out / _file(manifest, "Manage_FBA_Inventory_"), sep="\t")
    last = fba.xs("2026-10-31", level="snapshot_date")
    assert (
        report.set_index("sku")["afn-fulfillable-quantity"].to_dict() == last["available"].to_dict()
    )
    inbound = report.set_index("sku")[
        [
            "afn-inbound-working-quantity",
            "afn-inbound-shipped-quantity",
            "afn-inbound-receiving-quantity",
        ]
    ].sum(axis=1)
    assert inbound.to_dict() == last["inbound"].to_dict()


def test_aging_is_consistent_with_stage(out, manifest):
    plan = pd.read_csv(out / _file(manifest, "Inventory_Planning_"))
    buckets = [
        "inv-age-0-to-90-days",
        "inv-age-91-to-180-days",
        "inv-age-181-to-270-days",
        "inv-age-271-to-365-days",
        "inv-age-365-plus-days",
    ]
    assert plan[buckets].sum(axis=1).equals(plan["available"])
    stage = {s["sku"]: s["stage"] for s in manifest["skus"]}
    old_share = plan[buckets[1:]].sum(axis=1) / plan["available"].clip(lower=1)
    by_stage = old_share.groupby(plan["sku"].map(stage)).mean()
    assert by_stage["exit"] > 0.8 and by_stage["decline"] > 0.5
    assert by_stage["launch"] == 0 and by_stage["growth"] < 0.2


def test_business_report_matches_the_orders(out, manifest):
    entry = next(f for f in manifest["files"] if f["name"].startswith("BusinessReport_"))
    first, last = entry["period"]
    assert (date.fromisoformat(last) - date.fromisoformat(first)).days == 29
    raw = (out / entry["name"]).read_text(encoding="utf-8").splitlines()[0]
    assert '"Sessions – Total","Sessions – Total – B2B"' in raw and '"Units ordered"' in raw
    report = _rows(out / entry["name"])
    orders = pd.read_csv(
        out / _file(manifest, "All_Orders_"), sep="\t", dtype=str, keep_default_na=False
    ).drop_duplicates()
    day = orders["purchase-date"].str[:10]
    keep = (
        (orders["sales-channel"] == "Amazon.com")
        & (orders["order-status"] != "Cancelled")
        & (orders["quantity"].astype(int) > 0)
        & (day >= first)
        & (day <= last)
    )
    units = orders[keep].groupby("sku")["quantity"].apply(lambda q: q.astype(int).sum())
    sales = orders[keep].groupby("sku")["item-price"].apply(lambda p: p.astype(float).sum())
    for row in report:
        sku = row["SKU"]
        assert int(row["Units ordered"].replace(",", "")) == units.get(sku, 0)
        money = float(row["Ordered Product Sales"].replace("$", "").replace(",", ""))
        assert money == pytest.approx(sales.get(sku, 0.0), abs=0.01)
        assert row["Unit Session Percentage"].endswith("%")


def test_xray_snapshots(out, manifest):
    xrays = [f for f in manifest["files"] if f["name"].startswith("Xray_")]
    assert [f["as_of"] for f in xrays] == ["2026-08-31", "2026-09-30", "2026-10-31"]
    assert {f["search"] for f in xrays} == {"silicone baking mat"}
    own = {s["asin"] for s in manifest["skus"]}
    prices = []
    for f in xrays:
        raw = (out / f["name"]).read_bytes()
        assert raw.startswith(b'\xef\xbb\xbf"Display Order","Product Details"')
        assert b'"Price  $"' in raw and b'"Fees  $"' in raw
        rows = _rows(out / f["name"])
        assert 35 <= len(rows) <= 45
        sponsored = [r for r in rows if r["Display Order"] == "Sponsored"]
        assert 2 <= len(sponsored) <= 3
        assert len({r["ASIN"] for r in rows} & own) >= 3
        assert all(len(r["Creation Date"].split()) == 3 for r in rows)  # like "Mar 22, 2011"
        # Parent-level sales repeat on variation children and equal their sum.
        organic = [r for r in rows if r["Display Order"] != "Sponsored"]
        by_parent = defaultdict(list)
        for r in organic:
            by_parent[r["Parent Level Sales"]].append(int(r["ASIN Sales"].replace(",", "")))
        assert any(len(v) > 1 for v in by_parent.values())
        prices.append({r["ASIN"]: float(r["Price  $"]) for r in organic})
    change = {a: prices[2][a] / prices[1][a] - 1 for a in prices[1] if a in prices[2]}
    drops = [a for a, c in change.items() if c < -0.1]
    assert len(drops) == 1 and change[drops[0]] == pytest.approx(-0.15, abs=0.04)


def test_cerebro_export(out, manifest):
    rows = _rows(out / _file(manifest, "Cerebro_"))
    assert 50 <= len(rows) <= 70
    assert any(r["Competing Products"].startswith(">") for r in rows)
    assert any("," in r["Competing Products"] for r in rows)
    assert any(r["Search Volume Trend"].startswith("-") for r in rows)


def test_products_and_promotions(out, manifest):
    products = pd.read_csv(out / "products.csv")
    assert len(products) == len(manifest["skus"]) and products["sku"].is_unique
    assert products.notna().all().all()
    assert products["lead_time_days"].between(30, 60).all()
    assert (products["referral_pct"] == 0.15).all()
    assert (
        products["unit_cost"] + products["freight_cost"] + products["fba_fee"] < products["price"]
    ).all()
    promos = pd.read_csv(out / "promotions.csv", parse_dates=["start", "end"])
    assert (promos["start"] > pd.Timestamp("2026-10-31")).sum() >= 10  # planned ones
    assert (promos["end"] < pd.Timestamp("2026-10-31")).sum() >= 10  # past ones
    assert (promos["end"] >= promos["start"]).all()


def test_cli_sample_writes_the_files_and_the_seed_matters(out, tmp_path, capsys):
    assert cli_main(["sample", "--out", str(tmp_path / "s"), "--seed", "8"]) == 0
    assert "40 SKUs" in capsys.readouterr().out
    other = _files_bytes(tmp_path / "s")
    assert sorted(other) == sorted(_files_bytes(out)) and other != _files_bytes(out)


# -- through the real parsers and the store -----------------------------------------------------
@pytest.fixture(scope="module")
def loaded(out, tmp_path_factory):
    pytest.importorskip("stockcycle.ingest")
    ws = Workspace.open(tmp_path_factory.mktemp("ws") / "sample")
    calls: list[tuple[float, str]] = []
    report = sample.load_sample(ws, out, progress=lambda f, m: calls.append((f, m)))
    return ws, report, calls


def test_load_sample_fills_every_table(loaded, manifest):
    ws, report, calls = loaded
    assert [r["file"] for r in report] == [f["name"] for f in manifest["files"]]
    counts = ws.row_counts()
    assert all(n > 0 for n in counts.values()), counts
    info = ws.info()
    assert info["skus"] == len(manifest["skus"])
    assert info["sales_first_date"] <= "2024-04-01" and info["sales_last_date"] == "2026-10-31"
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    comp = ws.read("competitors")
    assert comp["snapshot_date"].dt.strftime("%Y-%m-%d").nunique() == 3
    assert comp["sponsored"].sum() == 9


def test_loaded_sales_equal_the_intended_sales(loaded, manifest):
    ws, _, _ = loaded
    sales = ws.read("sales")
    assert not sales.duplicated(["date", "sku", "channel"]).any()
    assert sales["units"].sum() == sum(s["units_total"] for s in manifest["skus"])
    assert set(sales["channel"]) == {"Amazon.com", "Non-Amazon", "Walmart"}
    assert set(ws.read("inventory")["location"]) == {"FBA", "3PL", "WFS"}


def test_second_load_does_not_double_count(loaded, out):
    ws, _, _ = loaded
    before = ws.row_counts()
    units = ws.read("sales")["units"].sum()
    sample.load_sample(ws, out)
    assert ws.row_counts() == before
    assert ws.read("sales")["units"].sum() == units


def test_load_sample_without_manifest_is_a_clear_error(tmp_path):
    from stockcycle.errors import InputError

    with pytest.raises(InputError, match="stockcycle sample"):
        sample.load_sample(Workspace.open(tmp_path / "ws"), tmp_path)


def test_sample_moved_to_end_yesterday_keeps_every_figure_and_gap(loaded, out, tmp_path):
    """The app loads the sample so that it ends yesterday (R-T1): every date of every table,
    the snapshot dates and the file names move by the same days; no figure changes."""
    ws, _, _ = loaded
    end = date(2026, 12, 5)
    days = (end - date(2026, 10, 31)).days
    moved = Workspace.open(tmp_path / "moved")
    sample.load_sample(moved, out, end=end)
    assert moved.data_date() == end
    for table, spec in TABLES.items():
        a, b = ws.read(table), moved.read(table)
        assert len(a) == len(b), table
        for col, typ in spec.columns.items():
            if typ == "date":
                assert (b[col].dropna().min() - a[col].dropna().min()).days == days, (table, col)
    assert moved.read("sales")["units"].sum() == ws.read("sales")["units"].sum()
    names = list(moved.imports()["file_name"])
    assert "Manage_FBA_Inventory_2026-12-05.txt" in names
    assert not any("2026-10-31" in n for n in names)


def test_cli_sample_loads_a_workspace_as_the_app_does(tmp_path, capsys):
    """``stockcycle sample -w DIR``: the sample in a fresh workspace, ending yesterday (the
    tests' today is 2026-10-31); a folder that holds data is refused, not stacked on."""
    ws_dir = tmp_path / "demo"
    assert cli_main(["sample", "-w", str(ws_dir)]) == 0
    assert "data up to 2026-10-30" in capsys.readouterr().out
    assert Workspace.open(ws_dir).data_date() == date(2026, 10, 30)
    assert cli_main(["sample", "-w", str(ws_dir)]) == 2
    assert "already holds data" in capsys.readouterr().err
    kept = tmp_path / "as-written"
    assert cli_main(["sample", "-w", str(kept), "--as-written"]) == 0
    assert Workspace.open(kept).data_date() == date(2026, 10, 31)
