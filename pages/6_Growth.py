"""Growth restock: priority list, forecast and stock line, policy, plan to export, weekly review."""

from stockcycle.ui import error_boundary, page_setup
from stockcycle.ui.growth import main

ws = page_setup("Growth")
with error_boundary():
    main(ws)
