"""Consecutive All Orders reports: the day they share adds up, an order in both counts once.

Amazon purchase dates are UTC while the seller picks report ranges in local time, so every
monthly download splits a boundary day between two reports. The sample's All Orders report is
cut in two (by purchase-date) and imported as two reports; the daily sales must equal those of
the whole report, which is the independent reference.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from stockcycle.ingest import parse_file
from stockcycle.sample import SAMPLE_DIR
from stockcycle.store import Workspace


def _orders_file() -> Path:
    manifest = SAMPLE_DIR / "manifest.json"
    if not manifest.is_file():
        pytest.skip(f"no sample data in {SAMPLE_DIR}")
    files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    return SAMPLE_DIR / next(f["name"] for f in files if f["format"] == "Amazon All Orders")


def split(path: Path, folder: Path, first_until: str, second_from: str) -> tuple[Path, Path]:
    """Two reports: the lines bought before ``first_until`` and those from ``second_from`` on
    (ISO timestamps compared as text, as the sample writes them: '2026-10-15T12:00:00+00:00')."""
    header, *lines = path.read_text(encoding="utf-8").splitlines()
    col = header.split("\t").index("purchase-date")
    first = [ln for ln in lines if ln.split("\t")[col] < first_until]
    second = [ln for ln in lines if ln.split("\t")[col] >= second_from]
    assert first and second and len(first) + len(second) >= len(lines)
    out = []
    for name, part in (("All_Orders_part1.txt", first), ("All_Orders_part2.txt", second)):
        out.append(folder / name)
        out[-1].write_text("\n".join([header, *part]) + "\n", encoding="utf-8")
    return out[0], out[1]


def sales_of(ws: Workspace) -> pd.DataFrame:
    return ws.read("sales").sort_values(["date", "sku", "channel"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    ws = Workspace.open(tmp_path_factory.mktemp("whole") / "ws")
    ws.import_files([parse_file(_orders_file())])
    return sales_of(ws)


@pytest.mark.parametrize(
    ("first_until", "second_from"),
    [
        ("2026-10-15T12:00", "2026-10-15T12:00"),  # split at noon of the 15th
        ("2026-10-15T18:00", "2026-10-15T06:00"),  # overlapping by 12 hours: orders in both
    ],
)
def test_two_halves_import_to_the_daily_totals_of_the_whole(
    whole: pd.DataFrame, tmp_path: Path, first_until: str, second_from: str
) -> None:
    part1, part2 = split(_orders_file(), tmp_path, first_until, second_from)
    ws = Workspace.open(tmp_path / "ws")
    ws.import_files([parse_file(part1)])
    ws.import_files([parse_file(part2)])
    got = sales_of(ws)
    boundary = got[got["date"] == pd.Timestamp("2026-10-15")]
    assert boundary["units"].sum() > 0
    pd.testing.assert_frame_equal(got, whole, check_exact=False, rtol=1e-12)

    # Both halves again, in one import and in the other order: nothing changes.
    ws.import_files([parse_file(part2), parse_file(part1)])
    pd.testing.assert_frame_equal(sales_of(ws), whole, check_exact=False, rtol=1e-12)


def test_the_noon_split_really_cuts_the_boundary_day(tmp_path: Path) -> None:
    """Guard for the test above: each half alone holds only part of 2026-10-15."""
    part1, part2 = split(_orders_file(), tmp_path, "2026-10-15T12:00", "2026-10-15T12:00")
    day = pd.Timestamp("2026-10-15")
    units = []
    for part in (part1, part2):
        lines = parse_file(part).tables["order_lines"]
        live = lines[(lines["date"] == day) & ~lines["cancelled"]]
        units.append(live["units"].sum())
    assert all(u > 0 for u in units)
