"""Alerts: the open alerts with acknowledge and snooze, a product's history, alert tuning."""

from stockcycle.ui import error_boundary, page_setup
from stockcycle.ui.alerts import main

ws = page_setup("Alerts")
with error_boundary():
    main(ws)
