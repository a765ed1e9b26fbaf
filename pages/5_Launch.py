"""Launch sizing: peers, demand, unit economics, the first order and its 70/30 split, and the
launch monitor (R-L1..R-L8), one wizard step at a time."""

from stockcycle.ui import error_boundary, page_setup
from stockcycle.ui.launch import main

ws = page_setup("Launch sizing")
with error_boundary():
    main(ws)
