"""Replay: what each reorder rule would have done on your own sales history."""

from stockcycle.ui import error_boundary, page_setup
from stockcycle.ui.replay import main

ws = page_setup("Replay")
with error_boundary():
    main(ws)
