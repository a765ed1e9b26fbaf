"""Settings: every planning default, grouped by rule family, saved in the workspace."""

from stockcycle.ui import error_boundary, page_setup
from stockcycle.ui.settings_form import main

ws = page_setup("Settings")
with error_boundary():
    main(ws)
