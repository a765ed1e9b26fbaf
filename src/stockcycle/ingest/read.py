"""Turning bytes into a table of strings: encodings, delimiters, XLSX, ragged rows.

The reader knows nothing about formats. It finds the header, then reads only the columns a
parser asks for (``usecols``: a 1,000,000-line All Orders file has 30+ columns and we need a
third of them) as strings with pandas' C engine; cleaning happens later, vectorised.

- Encodings: a byte-order mark decides (UTF-8, UTF-16 LE/BE; Amazon writes some reports as
  UTF-16); UTF-16 without a mark is recognised by its zero bytes; otherwise UTF-8, and when the
  file is not valid UTF-8 it is read as cp1252 (Excel on Windows), then Latin-1.
- Delimiter: whichever of tab, comma, semicolon and pipe splits the header line into the most
  fields. Tab-separated files without quotes in the header are read without quote handling,
  because Amazon flat files are unquoted and product names contain stray ``"`` (``12" pan``).
- Rows: the index of the returned frame is the spreadsheet row number (header = row 1). Blank
  lines are skipped but still counted, so row numbers match what the seller sees. A row with
  more or fewer fields than the header is an error naming that row.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

import pandas as pd

from stockcycle.errors import InputError

HEAD_BYTES = 1 << 16
_DELIMITERS = ("\t", ",", ";", "|")
_MAGIC = {
    b"%PDF": "a PDF document",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook (save it as .xlsx or CSV)",
    b"\x89PNG": "a PNG image",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x1f\x8b": "a gzip archive (unpack it first)",
    b"Rar!": "a RAR archive (unpack it first)",
    b"7z\xbc\xaf": "a 7-Zip archive (unpack it first)",
}
TABLE_EXPECTED = "a CSV, TSV or XLSX table with a header row"


@dataclass
class Source:
    """A file given as a path or as bytes (an upload), with the name to show in messages."""

    name: str
    path: Path | None = None
    data: bytes | None = None

    @classmethod
    def of(cls, source: str | Path | bytes, file_name: str | None) -> Source:
        if isinstance(source, bytes | bytearray | memoryview):
            return cls(file_name or "uploaded file", data=bytes(source))
        path = Path(source)
        if not path.is_file():
            raise InputError(f"no such file: {path}", file=file_name or path.name)
        return cls(file_name or path.name, path=path)

    def open(self) -> BinaryIO:
        return io.BytesIO(self.data) if self.data is not None else open(self.path, "rb")  # noqa: SIM115

    def head(self, n: int = HEAD_BYTES) -> bytes:
        with self.open() as f:
            return f.read(n)

    def sha256(self) -> str:
        h = hashlib.sha256()
        with self.open() as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()

    def error(self, message: str, **kw) -> InputError:
        return InputError(message, file=self.name, **kw)


@dataclass
class Layout:
    """How a file is laid out: its header and how to read the rows below it."""

    kind: str  # "text" or "xlsx"
    headers: list[str]
    encoding: str = "utf-8"
    delimiter: str = ","
    quoting: int = csv.QUOTE_MINIMAL
    rows: list[list[str]] = field(default_factory=list)  # xlsx only: the data rows as text
    sheet: str | None = None  # xlsx only: the sheet read (the first)
    other_sheets: list[str] = field(default_factory=list)  # xlsx only: the sheets not read

    def sheets_note(self) -> str:
        """For messages about an XLSX file: which sheet was read and which were not."""
        if self.kind != "xlsx":
            return ""
        return f"read the first sheet '{self.sheet}'" + self.other_sheets_note()

    def other_sheets_note(self) -> str:
        if not self.other_sheets:
            return ""
        return (
            "; the workbook's other sheets ("
            + ", ".join(f"'{n}'" for n in self.other_sheets)
            + ") are not read: move the table to the first sheet or save that sheet as CSV"
        )


def _encoding(src: Source, head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        sample = head[:4096]
        odd, even = sample[1::2].count(0), sample[0::2].count(0)
        if odd > 0.3 * len(sample) / 2 and even == 0:
            return "utf-16-le"
        if even > 0.3 * len(sample) / 2 and odd == 0:
            return "utf-16-be"
        raise src.error("this is binary data, not a table", expected=TABLE_EXPECTED)
    return "utf-8"


def _decode_head(head: bytes, encoding: str) -> str:
    for enc in (encoding, "cp1252", "latin-1"):
        try:
            return codecs.getincrementaldecoder(enc)(errors="strict").decode(head, final=False)
        except UnicodeDecodeError:
            continue
    return head.decode("latin-1")


def _split(line: str, delimiter: str, quoting: int) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter, quoting=quoting), [])


# The header line is read whole, however wide (a valid file with 100,003 columns was refused
# when its header was cut at the first 64 KB), up to this bound: 16 MB is over 100 bytes for
# each of 100,000 columns, far past any report.
MAX_HEADER_BYTES = 16 * 1024 * 1024


# Python's csv module refuses fields over 128 KB by default (a traceback), and it splits the
# header line with each candidate delimiter as one field: let it hold a header this wide.
# Cells are bounded later (clean.MAX_TEXT_CHARS), with the row and column in the message.
csv.field_size_limit(MAX_HEADER_BYTES)


def _head_with_header(src: Source) -> bytes:
    """The first bytes of the file, enough to hold the whole header line (see
    ``MAX_HEADER_BYTES``); a header line longer than that is refused."""
    n = HEAD_BYTES
    head = src.head(n)
    while len(head) == n and b"\n" not in head.lstrip(b"\r\n") and not head.startswith(b"PK"):
        if n >= MAX_HEADER_BYTES:
            raise src.error(
                f"the first line is longer than {_mb(MAX_HEADER_BYTES)} without a line break",
                row=1,
                expected="a header row of column names, then one row per line",
            )
        n *= 4
        head = src.head(n)
    return head


def sniff(src: Source) -> Layout:
    """Find the format family, encoding, delimiter and header of a file."""
    head = _head_with_header(src)
    if not head.strip():
        raise src.error("the file is empty", expected=TABLE_EXPECTED)
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise src.error(f"this is {what}, not a table", expected=TABLE_EXPECTED)
    if head.startswith(b"PK\x03\x04"):
        return _sniff_xlsx(src)
    encoding = _encoding(src, head)
    text = _decode_head(head, encoding).lstrip("\ufeff")
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\t\r\n\f")
    if controls > 0.01 * max(1, len(text[:4096])):
        raise src.error("this is binary data, not a table", expected=TABLE_EXPECTED)
    lines = text.splitlines()
    header_line = next((ln for ln in lines if ln.strip()), "")
    if not header_line.strip():
        raise src.error("the file is empty", expected=TABLE_EXPECTED)
    if lines and not lines[0].strip():
        raise src.error("the first line is blank", row=1, expected="the header on row 1")
    best, best_n = ",", 1
    for d in _DELIMITERS:
        n = len(_split(header_line, d, csv.QUOTE_MINIMAL))
        if n > best_n:
            best, best_n = d, n
    quoting = csv.QUOTE_NONE if best == "\t" and '"' not in header_line else csv.QUOTE_MINIMAL
    headers = _split(header_line, best, quoting)
    return Layout(
        "text",
        headers=[h.lstrip("\ufeff") for h in headers],
        encoding=encoding,
        delimiter=best,
        quoting=quoting,
    )


def _cell_text(value: object, number_format: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        if number_format and "%" in number_format:
            return f"{value * 100:.10g}%"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return repr(value) if isinstance(value, float) else str(value)
    return str(value)


# What openpyxl and zipfile raise for a damaged or cut-short workbook (found by damaging each
# part of a workbook: the zip, its deflate data, a missing part, broken XML, bad cell values).
# Anything else is a bug and must surface as one, not as "damaged workbook".
_BROKEN_XLSX = (
    zipfile.BadZipFile,
    zlib.error,
    KeyError,
    IndexError,
    ValueError,
    ParseError,
    OSError,
    EOFError,
)


# -- XLSX limits --------------------------------------------------------------------------------
# An XLSX is a zip of XML parts, and openpyxl expands them in memory: a 1.5 MB upload whose
# shared strings expand to one 1.5 GB string took a shared server from 385 MB to 15 GB. So the
# zip directory and a streamed pass over every part are checked against these bounds *before*
# openpyxl expands anything (``_check_xlsx_limits``).

# Excel's own limits: no workbook Excel saved goes past them, so passing one means the file
# was made to hurt (or by a tool that should have written CSV).
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_COLUMNS = 16_384
XLSX_MAX_CELL_CHARS = 32_767
# Cells the reader holds as Python text (rows x columns of the sheet, empty cells included,
# since openpyxl pads rows to the sheet's width): about 175 bytes each at the peak of reading
# (measured on 500,000 cells), so 5 million stay under 1 GB. Amazon and Helium 10 exports are
# far below this.
XLSX_MAX_CELLS = 5_000_000
# Uncompressed bytes. Excel writes about 50 bytes of XML a cell, so a sheet at the cell bound
# is about 250 MB; the whole workbook adds shared strings and styles to that.
XLSX_MAX_PART_BYTES = 256 * 1024 * 1024
XLSX_MAX_TOTAL_BYTES = 512 * 1024 * 1024
# Spreadsheet XML compresses about 5-30 to 1, very repetitive sheets up to about 100; deflate's
# ceiling is about 1,030 to 1 and a zip bomb sits near it. Small parts may compress absurdly
# without harm, so the ratio is only checked on parts of a megabyte or more.
XLSX_MAX_RATIO = 200
XLSX_RATIO_MIN_BYTES = 1024 * 1024

_XLSX_SMALLER = "an .xlsx file within Excel's limits, or the table saved as CSV"
_CELL_REF = re.compile(r"([A-Za-z]{1,3})\d*")


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):,.0f} MB"


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


class _PartScan:
    """One streamed pass over one XML part of a workbook, refusing what passes a bound.

    Text is counted as expat delivers it (in pieces no bigger than the chunk fed), so a huge
    string is refused after at most one chunk past the bound, never held. Worksheets (root
    element ``worksheet``) also have their rows and columns counted: from ``<dimension>`` when
    present (openpyxl pads to it), and from each ``<row>``/``<c>`` as they stream past."""

    def __init__(self, src: Source, part: str) -> None:
        self.src, self.part = src, part
        self.root: str | None = None
        self.text = 0  # characters of the current text node
        self.string = 0  # characters of the current shared or inline string (<si>, <is>)
        self.in_string = 0
        self.row = 0
        self.col = 0
        self.max_col = 0

    def refuse(self, message: str, expected: str = _XLSX_SMALLER, row: int | None = None):
        raise self.src.error(message, row=row, expected=expected)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = name.rpartition(":")[2]
        self.text = 0
        if self.root is None:
            self.root = tag
        if tag in ("si", "is"):
            self.in_string += 1
            self.string = 0
        if self.root != "worksheet":
            return
        if tag == "dimension":
            self.dimension(attrs.get("ref", ""))
        elif tag == "row":
            r = attrs.get("r")
            # openpyxl reads r="1e7" as row 10,000,000, so read it the same way.
            self.row = int(float(r)) if r else self.row + 1
            self.col = 0
            if self.row > XLSX_MAX_ROWS:
                self.refuse(
                    f"the sheet has more than {XLSX_MAX_ROWS:,} rows, Excel's limit",
                    expected=f"at most {XLSX_MAX_ROWS:,} rows; save a bigger table as CSV",
                )
            self.grid(self.row, self.max_col)
        elif tag == "c":
            ref = _CELL_REF.match(attrs.get("r", ""))
            self.col = _column_number(ref.group(1)) if ref else self.col + 1
            if self.col > self.max_col:
                self.max_col = self.col
                if self.col > XLSX_MAX_COLUMNS:
                    self.refuse(
                        f"the sheet has more than {XLSX_MAX_COLUMNS:,} columns, Excel's limit",
                        row=self.row,
                    )
                self.grid(self.row, self.max_col)

    def dimension(self, ref: str) -> None:
        """The sheet's declared range, e.g. ``A1:T5000``; openpyxl pads every row to it."""
        last = ref.rpartition(":")[2]
        m = re.fullmatch(r"([A-Za-z]{1,3})(\d{1,10})", last)
        if not m:
            return  # openpyxl then measures the sheet itself; the rows are counted below
        rows, cols = int(m.group(2)), _column_number(m.group(1))
        if rows > XLSX_MAX_ROWS:
            self.refuse(
                f"the sheet declares {rows:,} rows, more than Excel's {XLSX_MAX_ROWS:,}",
                expected=f"at most {XLSX_MAX_ROWS:,} rows; save a bigger table as CSV",
            )
        if cols > XLSX_MAX_COLUMNS:
            self.refuse(f"the sheet declares {cols:,} columns, more than Excel's 16,384")
        self.grid(rows, cols)

    def grid(self, rows: int, cols: int) -> None:
        if rows * cols > XLSX_MAX_CELLS:
            self.refuse(
                f"the sheet spans {rows:,} rows x {cols:,} columns, more than the "
                f"{XLSX_MAX_CELLS:,} cells the reader holds in memory",
                expected="a smaller sheet, or the table saved as CSV",
            )

    def end(self, name: str) -> None:
        self.text = 0
        if name.rpartition(":")[2] in ("si", "is"):
            self.in_string = max(0, self.in_string - 1)

    def chars(self, data: str) -> None:
        self.text += len(data)
        if self.in_string:
            self.string += len(data)
        if max(self.text, self.string) > XLSX_MAX_CELL_CHARS:
            self.refuse(
                f"a cell or string in part '{self.part}' holds more than "
                f"{XLSX_MAX_CELL_CHARS:,} characters, Excel's limit for a cell",
                expected=f"cells of at most {XLSX_MAX_CELL_CHARS:,} characters",
            )

    def doctype(self, *_: object) -> None:
        # Excel never writes a DTD; one can only be there to define expanding entities.
        self.refuse(
            f"part '{self.part}' declares a DTD (XML entities), which Excel never writes",
            expected="an .xlsx file saved by Excel, or a CSV",
        )

    def run(self, f: BinaryIO) -> None:
        parser = expat.ParserCreate()
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.chars
        parser.StartDoctypeDeclHandler = self.doctype
        try:
            for chunk in iter(lambda: f.read(1 << 16), b""):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except (expat.ExpatError, ValueError, OverflowError):
            # Not XML (an image, a binary part) or broken XML: nothing here can expand, and
            # openpyxl decides whether the workbook is readable.
            return


def _check_xlsx_limits(src: Source) -> None:
    """Refuse a workbook that passes a bound above, before openpyxl expands any of it.

    First the zip directory (declared sizes; ``zipfile`` never inflates a part past its
    declared size, so a lying directory cannot get past this), then one streamed pass over
    every part, since openpyxl finds its parts through content types, not file names."""
    with src.open() as f:
        try:
            zf = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError):
            return  # openpyxl reports the damaged workbook
        with zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            if total > XLSX_MAX_TOTAL_BYTES:
                raise src.error(
                    f"this workbook expands to {_mb(total)}, more than the "
                    f"{_mb(XLSX_MAX_TOTAL_BYTES)} the reader accepts",
                    expected="a smaller .xlsx, or the table saved as CSV",
                )
            for info in infos:
                if info.file_size > XLSX_MAX_PART_BYTES:
                    raise src.error(
                        f"part '{info.filename}' of this workbook expands to "
                        f"{_mb(info.file_size)}, more than the {_mb(XLSX_MAX_PART_BYTES)} "
                        "the reader accepts",
                        expected="a smaller .xlsx, or the table saved as CSV",
                    )
                ratio = info.file_size / max(1, info.compress_size)
                if info.file_size >= XLSX_RATIO_MIN_BYTES and ratio > XLSX_MAX_RATIO:
                    raise src.error(
                        f"part '{info.filename}' of this workbook is compressed "
                        f"{ratio:,.0f} to 1, which no spreadsheet is (a zip bomb)",
                        expected=f"an .xlsx compressed at most {XLSX_MAX_RATIO} to 1",
                    )
            for info in infos:
                if info.is_dir():
                    continue
                try:
                    with zf.open(info) as part:
                        _PartScan(src, info.filename).run(part)
                except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError):
                    continue  # a damaged part: openpyxl reports it


def _sniff_xlsx(src: Source) -> Layout:
    """Read the first sheet of a workbook (small enough to hold: Excel stops at 1M rows)."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    _check_xlsx_limits(src)
    try:
        with src.open() as f:
            wb = openpyxl.load_workbook(f, read_only=True, data_only=True)
            ws = wb.worksheets[0]
            cells = [
                [(c.value, getattr(c, "number_format", None)) for c in row]
                for row in ws.iter_rows()
            ]
            sheet, others = ws.title, [n for n in wb.sheetnames if n != ws.title]
            wb.close()
    except (*_BROKEN_XLSX, InvalidFileException) as err:
        raise src.error(
            "this is not a readable Excel workbook (it may be damaged or cut "
            f"short: {type(err).__name__})",
            expected="an .xlsx file saved by Excel, or a CSV",
        ) from None
    rows = [[_cell_text(v, fmt) for v, fmt in row] for row in cells]
    while rows and not any(v.strip() for v in rows[-1]):
        rows.pop()
    layout = Layout("xlsx", headers=[], sheet=sheet, other_sheets=others)
    if not rows:
        raise src.error(
            f"the first sheet '{sheet}' is empty{layout.other_sheets_note()}",
            expected=TABLE_EXPECTED,
        )
    headers = rows[0]
    while headers and not headers[-1].strip():
        headers = headers[:-1]
    width = len(headers)
    data = []
    for i, row in enumerate(rows[1:], start=2):
        if any(v.strip() for v in row[width:]):
            raise src.error(
                f"this row has a value in column {width + 1}, which has no header",
                row=i,
                expected="one value per header column",
            )
        data.append((row + [""] * width)[:width])
    layout.headers, layout.rows = headers, data
    return layout


def _text_stream(src: Source, encoding: str, newline: str | None) -> io.TextIOWrapper:
    return io.TextIOWrapper(src.open(), encoding=encoding, errors="strict", newline=newline)


def _check_rows(src: Source, layout: Layout) -> None:
    """Every row has as many fields as the header (and the whole file decodes).

    Fast path: count delimiters per line (exact for unquoted lines); a line with quotes, or a
    mismatch in a file with quotes, sends the check through the csv module, which also handles
    fields that span lines."""
    width = len(layout.headers)
    d = layout.delimiter
    need_csv = False
    with _text_stream(src, layout.encoding, None) as f:
        for lineno, line in enumerate(f, start=1):
            if lineno == 1 or not line.strip():
                continue
            if layout.quoting != csv.QUOTE_NONE and '"' in line:
                need_csv = True
                break
            n = line.count(d) + 1
            if n != width:
                _ragged(src, lineno, n, width)
    if not need_csv:
        return
    with _text_stream(src, layout.encoding, "") as f:
        reader = csv.reader(f, delimiter=d, quoting=layout.quoting)
        next(reader, None)
        try:
            for rec in reader:
                if not rec or not any(v.strip() for v in rec):
                    continue
                if len(rec) != width:
                    _ragged(src, reader.line_num, len(rec), width)
        except csv.Error as err:  # a field past csv.field_size_limit (MAX_HEADER_BYTES)
            raise src.error(
                f"a value on this row cannot be read ({err})",
                row=reader.line_num,
                expected="cells of a few thousand characters at most",
            ) from None


def _ragged(src: Source, row: int, n: int, width: int) -> None:
    raise src.error(
        f"this row has {n} fields but the header has {width}",
        row=row,
        expected="one value per header column; a value may hold a delimiter only inside quotes",
    )


def _validated_encoding(src: Source, layout: Layout) -> str:
    """The encoding that decodes the whole file, checking row widths on the way."""
    candidates = [layout.encoding]
    if layout.encoding == "utf-8":
        candidates += ["cp1252", "latin-1"]
    for enc in candidates:
        layout.encoding = enc
        try:
            _check_rows(src, layout)
            return enc
        except UnicodeDecodeError:
            continue
    raise src.error(f"the file is not valid {candidates[0]} text", expected=TABLE_EXPECTED)


def read_rows(src: Source, layout: Layout, positions: list[int]) -> pd.DataFrame:
    """The columns at ``positions`` as strings, index = spreadsheet row numbers, blank rows
    dropped. Column labels are the positions."""
    positions = sorted(set(positions))
    if layout.kind == "xlsx":
        df = pd.DataFrame(
            [[r[p] for p in positions] for r in layout.rows], columns=positions, dtype="str"
        )
    else:
        _validated_encoding(src, layout)
        with src.open() as f:
            try:
                df = pd.read_csv(
                    f,
                    sep=layout.delimiter,
                    header=0,
                    usecols=positions,
                    dtype="str",
                    na_filter=False,
                    keep_default_na=False,
                    skip_blank_lines=False,
                    encoding=layout.encoding,
                    quoting=layout.quoting,
                    engine="c",
                )
            except pd.errors.ParserError as err:
                raise src.error(
                    f"the table cannot be read: {err}".strip(), expected=TABLE_EXPECTED
                ) from None
            except UnicodeDecodeError:
                raise src.error(
                    f"the file is not valid {layout.encoding} text", expected=TABLE_EXPECTED
                ) from None
        df.columns = positions
    df.index = pd.RangeIndex(2, len(df) + 2)
    if len(df):
        blank = pd.Series(True, index=df.index)
        for c in df.columns:
            blank &= df[c].fillna("").str.strip().eq("")
        df = df[~blank.to_numpy()]
    return df
