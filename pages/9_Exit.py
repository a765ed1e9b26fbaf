"""Exit: exit signals and date, markdown plan, where the last units go, and the decision."""

from stockcycle.ui import error_boundary, page_setup
from stockcycle.ui.exit import main

ws = page_setup("Exit")
with error_boundary():
    main(ws)
