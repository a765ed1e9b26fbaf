"""stockcycle: life-cycle inventory planning for Amazon sellers.

The flow of data: ingest (files -> normalised tables) -> store (SQLite workspace) ->
forecast / lifecycle -> policy arithmetic -> pages, CLI and downloads.
"""

__version__ = "0.1.0"
