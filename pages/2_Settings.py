"""Settings: every planning default, grouped by rule family, saved in the workspace."""

from stockcycle.ui import page_setup
from stockcycle.ui.settings_form import main

ws = page_setup("Settings")
main(ws)
