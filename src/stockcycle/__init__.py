"""stockcycle: life-cycle inventory planning for Amazon sellers.

The flow of data: ingest (files -> normalised tables) -> store (SQLite workspace) ->
forecast / lifecycle -> policy arithmetic -> pages, CLI and downloads.
"""

import logging

__version__ = "0.1.0"

# A library logs, the program decides where it goes: without this, Python prints a SKU's
# traceback on stderr when its plan fails (the row already says what failed); the CLI's
# ``--log FILE`` sends the details to a file.
logging.getLogger(__name__).addHandler(logging.NullHandler())
