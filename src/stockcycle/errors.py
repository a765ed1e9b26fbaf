"""The one exception type for bad input, written for people.

Every parser, the store and the CLI raise or catch ``InputError``. The UI shows it with
``st.error(str(err))``; the CLI prints ``str(err)`` on one line and exits with status 2.
"""

from __future__ import annotations


class InputError(Exception):
    """A problem with something the seller gave us (a file, a setting, a mapping).

    ``row`` is the 1-based line number as the seller sees it in a spreadsheet: the header is
    row 1, the first data row is row 2 (for files with preamble lines, the real line number).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        self.expected = expected
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        text = self.message
        if self.expected:
            text = f"{text} (expected {self.expected})"
        return f"{', '.join(where)}: {text}" if where else text
