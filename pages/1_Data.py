"""Data: upload reports, check what each was recognised as, import, preview and export."""

from stockcycle.ui import page_setup
from stockcycle.ui.importer import main

ws = page_setup("Data")
main(ws)
