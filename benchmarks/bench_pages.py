"""Page rerun speed: how long a stage page takes to redraw after the seller moves a slider.

For each page in ``PAGES``: load the sample workspace into a temporary data directory, open the
page with Streamlit's AppTest, go to the wizard step that has the slider, move the slider once
to warm every cache (forecast batch, stock and orders, stage table), then move it ``--repeat``
times between two values and time each rerun (the whole script run, as the browser would wait
for it). Reported: the median and the slowest warm rerun per page. Target: median < 2 s on the
sample workspace (2-core machine; timings depend on other load on the machine).

Add a page with one line in ``PAGES``: its file, the wizard step (0-based, the "Step" radio;
None for a page without a wizard), the label (or its start) of the slider to move, and the
two values it alternates between.

Usage: ``python benchmarks/bench_pages.py [--pages growth ...] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class PageBench:
    page: str  # file under the app folder
    step: int | None  # wizard step to open (the "Step" radio), None without a wizard
    slider: str  # label, or the start of it, of the slider moved between reruns
    values: tuple[float, float]  # the two values the slider alternates between


PAGES: dict[str, PageBench] = {
    "launch": PageBench("pages/5_Launch.py", 3, "Service level", (0.90, 0.97)),
    "growth": PageBench("pages/6_Growth.py", 2, "Service level", (0.90, 0.97)),
}


def _check(at) -> None:
    if at.exception or at.error:
        problems = [e.value for e in at.exception] + [e.value for e in at.error]
        raise SystemExit(f"the page failed: {problems}")


def time_page(bench: PageBench, workspace: Path, repeat: int) -> list[float]:
    """Seconds of each warm rerun after a slider change (``repeat`` of them)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.session_state["workspace_path"] = str(workspace)
    at.switch_page(bench.page).run()
    _check(at)
    if bench.step is not None:
        next(r for r in at.radio if r.label == "Step").set_value(bench.step).run()
        _check(at)

    def move(value: float) -> float:
        slider = next(s for s in at.slider if s.label.startswith(bench.slider))
        start = time.perf_counter()
        slider.set_value(value).run()
        elapsed = time.perf_counter() - start
        _check(at)
        return elapsed

    move(bench.values[1])  # warm-up: every cache filled
    return [move(bench.values[i % 2]) for i in range(repeat)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", nargs="*", default=list(PAGES), choices=list(PAGES))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    # Streamlit warns about running without a server on every cache call: not news here.
    from streamlit.logger import set_log_level

    set_log_level("error")
    with tempfile.TemporaryDirectory() as home:
        os.environ["STOCKCYCLE_HOME"] = home
        os.environ.pop("STOCKCYCLE_SHARED", None)
        from stockcycle.sample import load_sample
        from stockcycle.store import Workspace

        ws = Workspace.open(Path(home) / "workspaces" / "sample")
        start = time.perf_counter()
        load_sample(ws)
        print(f"sample workspace loaded in {time.perf_counter() - start:.1f} s")
        print(f"{'page':<10} {'median s':>9} {'max s':>7}  reruns after a slider change (warm)")
        for name in args.pages:
            times = time_page(PAGES[name], ws.path, args.repeat)
            print(
                f"{name:<10} {statistics.median(times):>9.2f} {max(times):>7.2f}  "
                + ", ".join(f"{t:.2f}" for t in times)
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
