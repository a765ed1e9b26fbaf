"""Time the import of a large Amazon All Orders file: parse, then store into a fresh workspace.

    python benchmarks/bench_import.py [--lines 1000000] [--file PATH] [--keep]

Writes a synthetic tab-separated All Orders file (32 columns, 500 SKUs, 365 days, ~2% cancelled
lines, ~1% returns, a few duplicated lines) into a temporary folder (or PATH), then reports the
seconds for ``parse_file`` and for ``Workspace.import_files`` and the peak resident memory of
this process (``resource.getrusage``). Target: 1,000,000 lines in under 30 s, under 3 GB.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from stockcycle.ingest import parse_file
from stockcycle.store import Workspace

HEADERS = str.split(
    "amazon-order-id merchant-order-id purchase-date last-updated-date order-status "
    "fulfillment-channel sales-channel order-channel url ship-service-level product-name sku "
    "asin item-status quantity currency item-price item-tax shipping-price shipping-tax "
    "gift-wrap-price gift-wrap-tax item-promotion-discount ship-promotion-discount ship-city "
    "ship-state ship-postal-code ship-country promotion-ids is-business-order "
    "purchase-order-number price-designation"
)


def write_orders(path: Path, lines: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    n_sku = 500
    sku_i = rng.integers(0, n_sku, lines)
    seconds = np.sort(rng.integers(0, 365 * 86400, lines))
    stamps = (pd.Timestamp("2025-01-01") + pd.to_timedelta(seconds, unit="s")).strftime(
        "%Y-%m-%dT%H:%M:%S+00:00"
    )
    qty = rng.choice([1, 1, 1, 2, 3], lines)
    status = np.where(rng.random(lines) < 0.02, "Cancelled", "Shipped")
    ret = rng.random(lines) < 0.01
    qty = np.where(ret, -1, qty)
    unit = 10 + (sku_i % 40) + 0.99
    df = pd.DataFrame({h: "" for h in HEADERS}, index=range(lines))
    df["amazon-order-id"] = [f"111-{i:07d}-{i % 9973:07d}" for i in range(lines)]
    df["purchase-date"] = stamps
    df["last-updated-date"] = stamps
    df["order-status"] = status
    df["fulfillment-channel"] = "Amazon"
    df["sales-channel"] = np.where(rng.random(lines) < 0.1, "Non-Amazon", "Amazon.com")
    df["ship-service-level"] = "Standard"
    df["product-name"] = [
        f"Northwind Home product {i} with a long descriptive title" for i in sku_i
    ]
    df["sku"] = [f"NW-{i:04d}" for i in sku_i]
    df["asin"] = [f"B0{i:08d}" for i in sku_i]
    df["item-status"] = status
    df["quantity"] = qty
    df["currency"] = "USD"
    df["item-price"] = np.round(qty * unit, 2)
    df["item-tax"] = "0.00"
    df["ship-city"] = "SEATTLE"
    df["ship-state"] = "WA"
    df["ship-postal-code"] = "98101"
    df["ship-country"] = "US"
    df["is-business-order"] = "false"
    dup = df.sample(frac=0.001, random_state=seed)
    df = pd.concat([df, dup]).sort_index(kind="stable").iloc[:lines]
    df.to_csv(path, sep="\t", index=False, lineterminator="\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--file", type=Path, help="write the test file here (default: temp dir)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file or Path(tmp) / "All_Orders_bench.txt"
        t0 = time.perf_counter()
        # Write the file in a child process so that the peak memory printed below is the
        # import's alone, not the generator's.
        writer = multiprocessing.get_context("spawn").Process(
            target=write_orders, args=(path, args.lines)
        )
        writer.start()
        writer.join()
        print(
            f"wrote {args.lines:,} lines ({path.stat().st_size / 1e6:,.0f} MB) in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        steps: list[tuple[float, str]] = []
        t0 = time.perf_counter()
        pf = parse_file(path, progress=lambda f, m: steps.append((time.perf_counter() - t0, m)))
        t_parse = time.perf_counter() - t0
        print(f"parse_file: {t_parse:.1f} s -> {pf.summary()}")
        for t, m in steps:
            print(f"  {t:6.1f} s  {m}")
        ws = Workspace.open(Path(tmp) / "ws")
        t0 = time.perf_counter()
        ws.import_files([pf])
        t_store = time.perf_counter() - t0
        print(f"store import: {t_store:.1f} s ({ws.row_counts()['sales']:,} sales rows)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(f"total {t_parse + t_store:.1f} s, peak RSS {peak:,.0f} MB")
    return 0 if t_parse + t_store < 30 and peak < 3072 else 1


if __name__ == "__main__":
    sys.exit(main())
