"""Data import: recognise a file by its headers, clean it, validate it, normalise it.

    parse_file(source, file_name=None, *, mapping=None, target=None, as_of=None, search=None,
               period=None, progress=None) -> ParsedFile
    read_columns(source, file_name=None) -> list[str]
    FORMATS   every format we recognise (kind, label, required/optional headers, tables)
    TARGETS   the generic tables a mapped file can fill (required/optional columns)
    UnrecognisedFormat(InputError)   headers match no format; ``.columns`` for the mapping step
    SearchNeeded(InputError)   an Xray export given without ``search``

Formats (headers compared case-insensitively, whole names only; see ``formats``):
Amazon All Orders, Business Report by child item (with or without a Date column), Manage FBA
Inventory, Restock Inventory, FBA Inventory planning (inventory age), Helium 10 Xray (old and
new layouts), Cerebro and Keyword Tracker, and the generic tables of ``generic``.

``parse_file`` reads and validates the whole file and raises ``InputError`` (file, row, column,
expected) at the first real problem; problems that do not stop the import (dropped duplicates,
ambiguous dates, missing prices, assumed periods) are listed in ``ParsedFile.warnings``, neutral
facts (cancelled lines left out, sponsored rows marked) in ``ParsedFile.notes``. It never writes
anything: the store does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd

from stockcycle.errors import InputError
from stockcycle.ingest import amazon, helium10
from stockcycle.ingest.clean import check_lengths, decide_decimal, normalise_header
from stockcycle.ingest.formats import (
    FormatInfo,
    Match,
    TargetInfo,
    UnrecognisedFormat,
    detect,
    make_format,
    match,
)
from stockcycle.ingest.frame import ParseContext
from stockcycle.ingest.generic import TARGETS, generic_formats, mapped_positions
from stockcycle.ingest.helium10 import SearchNeeded
from stockcycle.ingest.read import Layout, Source, read_rows, sniff
from stockcycle.ingest.result import ParsedFile

__all__ = [
    "FORMATS",
    "TARGETS",
    "FormatInfo",
    "ParsedFile",
    "SearchNeeded",
    "TargetInfo",
    "UnrecognisedFormat",
    "parse_file",
    "read_columns",
]

FORMATS: list[FormatInfo] = [
    make_format(
        "amazon_all_orders",
        "Amazon All Orders report",
        ["order_lines", "products"],
        amazon.ALL_ORDERS,
        amazon.parse_all_orders,
        description="Order lines (tab-separated flat file), kept line by line; the "
        "workspace adds them up into daily sales per SKU and sales channel, cancelled "
        "lines excluded, negative quantities are returns.",
    ),
    make_format(
        "amazon_business_report",
        "Amazon Business Report (by child item)",
        ["traffic", "products"],
        amazon.BUSINESS_REPORT,
        amazon.parse_business_report,
        description="Sessions, page views, buy box, units and sales per child item "
        "for one period (give the period; default the 30 days ending on the "
        "as-of date).",
    ),
    make_format(
        "amazon_business_report_by_date",
        "Amazon Business Report (by child item, by date)",
        ["traffic", "sales", "products"],
        amazon.BUSINESS_REPORT_BY_DATE,
        amazon.parse_business_report_by_date,
        description="The same with a Date column: daily traffic and Amazon.com sales.",
    ),
    make_format(
        "amazon_fba_inventory",
        "Amazon Manage FBA Inventory report",
        ["inventory", "products"],
        amazon.FBA_INVENTORY,
        amazon.parse_fba_inventory,
        description="FBA stock per SKU on the as-of date: fulfillable, inbound "
        "(working + shipped + receiving), reserved, unsellable.",
    ),
    make_format(
        "amazon_restock",
        "Amazon Restock Inventory report",
        ["inventory", "products"],
        amazon.RESTOCK,
        amazon.parse_restock,
        description="FBA stock per SKU on the as-of date, with Amazon's recommendation.",
    ),
    make_format(
        "amazon_inventory_planning",
        "Amazon FBA Inventory planning (inventory age)",
        ["aging", "inventory", "products"],
        amazon.PLANNING,
        amazon.parse_planning,
        description="Units per age bucket 0-90 ... 365+ days (R-K2) and FBA stock.",
    ),
    make_format(
        "helium10_xray",
        "Helium 10 Xray export",
        ["competitors"],
        helium10.XRAY_NEW,
        helium10.parse_xray,
        description="One snapshot of competitor listings on a search (as-of date).",
    ),
    make_format(
        "helium10_xray_old",
        "Helium 10 Xray export (old layout)",
        ["competitors"],
        helium10.XRAY_OLD,
        helium10.parse_xray,
        description="The pre-2023 Xray columns (Sales, Revenue, FBA Fees).",
    ),
    make_format(
        "helium10_cerebro",
        "Helium 10 Cerebro keyword export",
        ["keywords"],
        helium10.CEREBRO,
        helium10.parse_keywords,
        description="Keywords with search volume, trend and competing products.",
    ),
    make_format(
        "helium10_keyword_tracker",
        "Helium 10 Keyword Tracker export",
        ["keywords"],
        helium10.KEYWORD_TRACKER,
        helium10.parse_keywords,
        description="Tracked keywords with search volume.",
    ),
    *generic_formats(),
]
_BY_KIND = {f.kind: f for f in FORMATS}


def read_columns(source: str | Path | bytes, file_name: str | None = None) -> list[str]:
    """The header row of any readable file (CSV/TSV/semicolon/XLSX), as written in it."""
    layout = sniff(Source.of(source, file_name))
    return [h for h in layout.headers if h.strip()]


def _check_headers_once(src: Source, layout: Layout, wanted: Callable[[str], bool]) -> None:
    """A column we would read (e.g. ``units``) written twice makes the file ambiguous."""
    norms = [normalise_header(h) for h in layout.headers]
    counts = Counter(norms)  # not norms.count per header: quadratic on 100,000 columns
    for pos, norm in enumerate(norms):
        if norm and counts[norm] > 1 and wanted(norm):
            raise InputError(
                f"the header '{layout.headers[pos]}' appears more than once",
                file=src.name,
                row=1,
                column=layout.headers[pos],
                expected="each column name once",
            )


def _known(norm: str) -> bool:
    """A header some format reads."""
    return any(c.matches(norm) for f in FORMATS for c in f.columns)


def _with_sheets(err: UnrecognisedFormat, layout: Layout) -> UnrecognisedFormat:
    """For a workbook, say which sheet was read and which were not."""
    if layout.kind != "xlsx":
        return err
    return UnrecognisedFormat(
        f"{err.message} ({layout.sheets_note()})",
        file=err.file,
        columns=err.columns,
        closest=err.closest,
        column=err.column,
    )


def parse_file(
    source: str | Path | bytes,
    file_name: str | None = None,
    *,
    mapping: dict[str, str] | None = None,
    target: str | None = None,
    as_of: date | None = None,
    search: str | None = None,
    period: tuple[date, date] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> ParsedFile:
    """Read one file into normalised tables (see the module docstring).

    ``mapping`` (file column -> stockcycle column) with ``target`` (a key of ``TARGETS``) reads
    any file as that generic table; ``target`` alone reads a file whose headers already are
    stockcycle names. ``as_of`` is the snapshot date of reports that carry none (default
    today); ``search`` names the search of an Xray export; ``period`` is the (start, end) of a
    Business Report without a Date column; ``progress(fraction, message)`` is called while
    reading, cleaning and aggregating."""
    src = Source.of(source, file_name)
    ctx = ParseContext(file=src.name, as_of=as_of, search=search, period=period, progress=progress)
    ctx.step(0.0, "reading")
    layout = sniff(src)
    if mapping and not target:
        raise InputError(
            "a column mapping needs the table it fills",
            file=src.name,
            expected="target = " + " | ".join(TARGETS),
        )
    if target is not None:
        if target not in TARGETS:
            raise InputError(
                f"'{target}' is not a table a mapped file can fill",
                file=src.name,
                expected=", ".join(TARGETS),
            )
        fmt = _BY_KIND[f"generic_{target}"]
        used = {normalise_header(n) for n in [*(mapping or {}), *TARGETS[target].columns]}
        _check_headers_once(src, layout, used.__contains__)
        if mapping:
            found = mapped_positions(layout.headers, mapping, target, src.name)
        else:
            m = match(fmt, layout.headers)
            if m.missing:
                raise InputError(
                    f"the file has no column for {', '.join(map(repr, m.missing))}",
                    file=src.name,
                    row=1,
                    column=m.missing[0],
                    expected=f"the columns {', '.join(fmt.required)} or a mapping",
                )
            found = m.found
    else:
        _check_headers_once(src, layout, _known)
        try:
            best: Match = detect(FORMATS, layout.headers, src.name)
        except UnrecognisedFormat as err:
            raise _with_sheets(err, layout) from None
        fmt, found = best.fmt, best.found
        if fmt.kind == "amazon_all_orders":
            found = {k: v for k, v in found.items() if k in amazon.ALL_ORDERS_READ}
    raw = read_rows(src, layout, list(found.values()))
    if raw.empty:
        raise InputError(
            "the file has a header but no data rows",
            file=src.name,
            expected="at least one row below the header",
        )
    ctx.step(0.4, "cleaning")
    frame = pd.DataFrame({key: raw[pos] for key, pos in found.items()}, index=raw.index)
    ctx.headers = {k: layout.headers[p] for k, p in found.items()}
    check_lengths(ctx, frame)  # before any cleaning works on a 50 MB "SKU"
    ctx.decimal, guessed = decide_decimal(
        {k: frame[k] for k in frame.columns}, layout.delimiter if layout.kind == "text" else None
    )
    if guessed:
        ctx.warnings.append(guessed)
    tables = fmt.parser(frame, ctx)
    parsed = ParsedFile(
        file_name=src.name,
        kind=fmt.kind,
        label=fmt.label,
        tables=tables,
        rows_read=len(raw),
        sha256=src.sha256(),
        as_of=ctx.used_as_of,
        warnings=ctx.warnings,
        notes=ctx.notes,
    )
    ctx.step(1.0, "done")
    return parsed
