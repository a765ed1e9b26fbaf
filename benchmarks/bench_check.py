"""The daily check (R-A2) on the sample workspace: ``stockcycle check --json`` as cron runs it.

Loads the sample into a temporary folder, then runs the command three times in a fresh Python
process each: cold (no forecast cache), warm (the forecast cached, every alert new), and warm
again (nothing new: exit 0). Prints the wall time of each, the exit statuses, the alerts by
urgency and rule, and the target (≤ 30 s with a warm cache).

Usage: ``python benchmarks/bench_check.py``
"""

from __future__ import annotations

import collections
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stockcycle.sample import load_sample
from stockcycle.store import Workspace

TARGET_SECONDS = 30.0


def run(path: Path) -> tuple[float, int, dict]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "stockcycle", "check", "-w", str(path), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"check failed ({done.returncode}): {done.stderr}")
    return seconds, done.returncode, json.loads(done.stdout)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.open(Path(tmp) / "sample")
        load_sample(ws)
        cold, cold_code, first = run(ws.path)
        # The log of the cold run would make the warm run report nothing new: start it afresh
        # so the warm run does the same work as the first check of a day (every alert new).
        with ws.transaction() as con:
            con.execute("DELETE FROM alerts")
        warm, warm_code, warm_out = run(ws.path)
        again, again_code, again_out = run(ws.path)
    by_severity = collections.Counter(r["severity"] for r in warm_out["open"])
    by_rule = collections.Counter(r["rule"] for r in warm_out["open"])
    print(f"as of {first['as_of']}: {len(warm_out['open'])} open alerts")
    print("  by urgency: " + ", ".join(f"{k} {v}" for k, v in by_severity.most_common()))
    print("  by rule:    " + ", ".join(f"{k} {v}" for k, v in by_rule.most_common()))
    print(f"cold (forecast not cached): {cold:.1f} s, exit {cold_code}")
    print(f"warm, every alert new:      {warm:.1f} s, exit {warm_code}")
    print(
        f"warm, nothing new:          {again:.1f} s, exit {again_code}, new {len(again_out['new'])}"
    )
    ok = warm <= TARGET_SECONDS and again <= TARGET_SECONDS and again_code == 0
    print(f"target warm <= {TARGET_SECONDS:.0f} s: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
