"""Forecast quality: run the batch forecast and backtest, per-SKU accuracy, model and why."""

from stockcycle.ui import error_boundary, page_setup
from stockcycle.ui.forecast import main

ws = page_setup("Forecast")
with error_boundary():
    main(ws)
