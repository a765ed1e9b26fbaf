"""Data: upload reports, check what each was recognised as, import, preview and export."""

from stockcycle.ui import error_boundary, page_setup
from stockcycle.ui.importer import main

ws = page_setup("Data", stale_advice="import recent reports below.")
with error_boundary():
    main(ws)
