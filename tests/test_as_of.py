"""``--as-of D``: a look back reads nothing after D (R-T1, R-T4's "no look-ahead").

The same catalogue twice: one workspace holds data past D (later sales, a later inventory
snapshot, a purchase order placed after D), the other was cut at D. Asked as of D, the first
must answer exactly as the second does on its own data date.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stockcycle.cli import main
from stockcycle.ingest import parse_file
from stockcycle.store import Workspace

CUT = date(2026, 6, 30)
START = date(2025, 3, 1)
END = date(2026, 10, 31)
SKUS = {"GROW": (2.0, 0.012), "FLAT": (12.0, 0.0), "FADE": (30.0, -0.006)}


def _csv(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


def _workspace(folder: Path, end: date) -> Workspace:
    """Sales to ``end`` (growth, steady and fading SKUs), monthly inventory snapshots to ``end``
    and purchase orders placed up to ``end``; the figures of a day do not depend on ``end``."""
    rng = np.random.default_rng(3)
    days = pd.date_range(START, END, freq="D")
    rows = []
    for sku, (level, trend) in SKUS.items():
        rate = level * np.exp(trend * np.arange(len(days)))
        rows += [
            {"date": d.date().isoformat(), "sku": sku, "units": int(u)}
            for d, u in zip(days, rng.poisson(rate), strict=True)
        ]
    sales = pd.DataFrame(rows)
    sales = sales[pd.to_datetime(sales["date"]).dt.date <= end]
    snaps = [d.date() for d in pd.date_range(START, END, freq="MS") if d.date() <= end]
    inventory = pd.DataFrame(
        [
            {"sku": s, "available": 400 + 10 * k, "snapshot_date": d.isoformat()}
            for k, d in enumerate(snaps)
            for s in SKUS
        ]
    )
    orders = pd.DataFrame(
        [
            {
                "po": "PO-1",
                "sku": "FLAT",
                "units": 500,
                "ordered": "2026-05-01",
                "eta": "2026-07-20",
                "status": "open",
            },
            {
                "po": "PO-2",
                "sku": "GROW",
                "units": 800,
                "ordered": "2026-08-15",
                "eta": "2026-11-20",
                "status": "open",
            },
        ]
    )
    orders = orders[pd.to_datetime(orders["ordered"]).dt.date <= end]
    ws = Workspace.open(folder)
    ws.import_files(
        [
            parse_file(_csv(folder / "sales.csv", sales)),
            parse_file(_csv(folder / "inventory.csv", inventory)),
            parse_file(_csv(folder / "purchase_orders.csv", orders)),
        ]
    )
    return ws


def _json(capsys, *argv: str) -> list[dict]:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("verb", ["today", "plan"])
def test_a_look_back_reads_nothing_after_its_day(tmp_path: Path, capsys, verb: str) -> None:
    full = _workspace(tmp_path / "full", END)
    cut = _workspace(tmp_path / "cut", CUT)
    assert full.data_date() == END and cut.data_date() == CUT
    assert main(["forecast", "-w", str(full.path)]) == 0
    stored = full.load_result("forecast")[1]
    back = _json(capsys, verb, "-w", str(full.path), "--as-of", CUT.isoformat(), "--json")
    # The look back leaves the workspace's current forecast as it was.
    pd.testing.assert_frame_equal(full.load_result("forecast")[1], stored)
    then = _json(capsys, verb, "-w", str(cut.path), "--today", CUT.isoformat(), "--json")
    assert back == then
    assert {r["as_of"] for r in back} == {CUT.isoformat()}
    # Not a vacuous equality: on all its data the full workspace answers differently.
    now = _json(
        capsys,
        verb,
        "-w",
        str(full.path),
        "--today",
        (END + timedelta(days=1)).isoformat(),
        "--json",
    )
    assert now != back


def test_stages_as_of_an_earlier_day_are_those_of_the_data_then(tmp_path: Path, capsys) -> None:
    full = _workspace(tmp_path / "full", END)
    cut = _workspace(tmp_path / "cut", CUT)
    back = _json(capsys, "stages", "-w", str(full.path), "--as-of", CUT.isoformat(), "--json")
    assert back == _json(capsys, "stages", "-w", str(cut.path), "--json")
    # A look back is not saved as the workspace's current stages.
    assert full.load_result("stages") is None


@pytest.mark.parametrize("verb", ["forecast", "plan", "today"])
def test_a_workspace_without_data_gets_a_message_not_a_traceback(tmp_path, capsys, verb) -> None:
    ws = Workspace.open(tmp_path / "empty")
    assert main([verb, "-w", str(ws.path)]) == 0
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    if verb != "forecast":
        assert "no sales or stock yet" in out.err
        assert main([verb, "-w", str(ws.path), "--json"]) == 0
        assert json.loads(capsys.readouterr().out) == []
