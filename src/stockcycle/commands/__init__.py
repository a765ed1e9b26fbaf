"""CLI verbs, one module per group; each exposes ``register(subparsers)``."""

import sys

from stockcycle.store import Workspace

#: What a verb that plans says on a workspace without sales or stock (and exits 0).
NO_DATA = (
    "This workspace has no sales or stock yet: import your reports first "
    "(stockcycle import -w DIR FILE ...), or load the sample (stockcycle sample -w DIR)."
)


def has_data(ws: Workspace, json_out: bool) -> bool:
    """Whether ``ws`` holds any SKU. When it does not, says so on stderr (``NO_DATA``) and, for
    a ``--json`` reader, prints an empty list: no rows, not an error."""
    if ws.skus():
        return True
    print(NO_DATA, file=sys.stderr)
    if json_out:
        print("[]")
    return False
