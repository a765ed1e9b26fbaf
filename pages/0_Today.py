"""Today: one action per product, with its urgency and the money at stake (R-T5)."""

from stockcycle.ui import error_boundary, page_setup
from stockcycle.ui.today import main

ws = page_setup("Today")
with error_boundary():
    main(ws)
