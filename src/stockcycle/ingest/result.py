"""What a parser hands to the store: normalised tables plus what was recognised."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd


@dataclass
class ParsedFile:
    file_name: str
    kind: str  # machine name of the format, e.g. "amazon_all_orders"
    label: str  # what the seller reads, e.g. "Amazon All Orders report"
    tables: dict[str, pd.DataFrame]  # table name (see stockcycle.schema) -> normalised rows
    rows_read: int  # data rows in the file
    sha256: str = ""
    as_of: date | None = None  # snapshot date used for reports that carry none
    # Data problems that did not stop the import: dropped duplicates, ambiguous dates, missing
    # values, assumed periods. The seller should look at them.
    warnings: list[str] = field(default_factory=list)
    # Neutral facts about how the file was read ("88 cancelled order lines are not counted as
    # demand"): shown apart from the problems.
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the CLI and the app: what the file was and what it gave."""
        loaded = ", ".join(f"{len(df):,} {name} rows" for name, df in self.tables.items())
        return f"{self.file_name}: {self.label}, {self.rows_read:,} lines read -> {loaded}"
