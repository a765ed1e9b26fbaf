"""Maturity tuning: lean thresholds, ABC and EOQ, the FBA fee corridor and capacity, the plan."""

from stockcycle.ui import error_boundary, page_setup
from stockcycle.ui.maturity import main

ws = page_setup("Maturity")
with error_boundary():
    main(ws)
