"""Decline: the decline signal, competitors' prices, clearance scenarios and their sensitivity."""

from stockcycle.ui import error_boundary, page_setup
from stockcycle.ui.decline import main

ws = page_setup("Decline")
with error_boundary():
    main(ws)
