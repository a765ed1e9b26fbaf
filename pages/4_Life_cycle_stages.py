"""Life-cycle stages: each SKU's stage with the reason, the seller's overrides, and a chart."""

from stockcycle.ui import error_boundary, page_setup
from stockcycle.ui.stages import main

ws = page_setup("Life-cycle stages")
with error_boundary():
    main(ws)
