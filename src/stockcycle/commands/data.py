"""Data verbs: sample, import, info, export."""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from stockcycle.errors import InputError
from stockcycle.schema import TABLES
from stockcycle.store import Workspace

# The generic tables a mapped file can fill (stockcycle.ingest.TARGETS; kept as plain names here
# so that parsing the command line does not import the parsers).
MAPPABLE_TABLES = ["sales", "inventory", "products", "keywords", "promotions", "purchase_orders"]


# Characters a terminal acts on instead of showing: the C0 and C1 controls (ESC starts the
# sequences that move the cursor, retitle the window or rewrite what was printed) and DEL, and
# the bidirectional overrides that make text display in another order than it is written.
_CONTROLS = [*range(0x00, 0x20), *range(0x7F, 0xA0)]
_BIDI = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_VISIBLE = {c: f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}" for c in _CONTROLS + _BIDI}
# What a line of output may keep: its own line breaks, tabs and the progress line's '\r'.
_OUTPUT_KEEP = "\n\r\t"


def printable(text: object, keep: str = "") -> str:
    """``text`` with every control character shown as an escape (``ESC`` -> ``\\x1b``), so a
    file name, SKU or title printed by the CLI can never drive the terminal (issue 12 item 8).

    ``keep`` lists control characters left as they are (the output stream keeps line breaks,
    tabs and carriage returns; a name keeps none of them)."""
    table = _VISIBLE if not keep else {c: v for c, v in _VISIBLE.items() if chr(c) not in keep}
    return str(text).translate(table)


class PrintableStream:
    """A text stream that passes everything written through ``printable`` (keeping line
    breaks, tabs and carriage returns) before the real stream: the CLI installs it on stdout
    and stderr, so no verb can print a raw escape sequence from a file, a SKU or a title."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(printable(text, _OUTPUT_KEEP))
        return len(text)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def add_workspace_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--workspace",
        "-w",
        required=True,
        type=Path,
        metavar="DIR",
        help="workspace folder (created by the first import)",
    )


def add_as_of_arg(p: argparse.ArgumentParser, what: str) -> None:
    """``--as-of YYYY-MM-DD``: ``what`` from the data up to that day only (R-T1)."""
    p.add_argument(
        "--as-of",
        default=None,
        metavar="YYYY-MM-DD",
        help=f"{what} from the data up to this day only, as it would have been then "
        "(nothing after it is read; default: all the data)",
    )


def as_of_arg(args: argparse.Namespace) -> date | None:
    return parse_date(args.as_of, "--as-of") if args.as_of else None


def today_arg(args: argparse.Namespace) -> date:
    """The day a plan is made: ``--today``, else the ``--as-of`` day (a look back is planned
    on its own day), else today."""
    from stockcycle import datadate

    if args.today:
        return parse_date(args.today, "--today")
    return as_of_arg(args) or datadate.today()


def open_existing(path: Path) -> Workspace:
    return Workspace.open(path, create=False)


def json_value(value: object) -> object:
    """``value`` as JSON can carry it: dates as ISO text, numpy scalars as Python numbers,
    NaN and infinities as null (``json.dumps`` would write ``NaN``, which JSON readers reject),
    dictionaries and lists element by element."""
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return json_value(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def parse_date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{what} '{text}' is not a date", expected="YYYY-MM-DD") from None


def check_out(out: Path | None) -> str | None:
    """The suffix of an ``--out`` file (``.csv`` or ``.xlsx``), checked before any work is done;
    another suffix is an input error."""
    if not out:
        return None
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputError(
            f"--out {printable(out)} is not a .csv or .xlsx file", expected="FILE.csv or .xlsx"
        )
    return suffix


def write_table(table: pd.DataFrame, out: Path | None, sheet: str) -> None:
    """Write ``table`` to ``out`` (.csv or .xlsx, formula-looking cells escaped by
    ``stockcycle.export``); nothing when ``out`` is None; another suffix is an input error."""
    from stockcycle.export import to_csv_bytes, to_xlsx_bytes

    if not out:
        return
    suffix = check_out(out)
    data = to_xlsx_bytes(table, sheet_name=sheet) if suffix == ".xlsx" else to_csv_bytes(table)
    out.write_bytes(data)


def print_dated_rows(table: pd.DataFrame, today: date, warning: str | None) -> None:
    """The rows of a plan-like table as JSON, each with the ``today`` it was made on; a
    stale-data ``warning`` goes to stderr so that standard output stays parseable JSON."""
    rows = [json_value({**r, "today": today}) for r in table.to_dict("records")]
    print(json.dumps(rows, indent=2))
    if warning:
        print(f"Warning: {warning}", file=sys.stderr)


def parse_mapping(text: str | None) -> dict[str, str] | None:
    """``"Order Date=date,Item=sku,Qty=units"`` (or a JSON object, or a file holding either)
    -> ``{"Order Date": "date", ...}``: source column on the left, stockcycle column on the
    right."""
    if not text:
        return None
    try:
        is_file = Path(text).is_file()
    except OSError:  # a long inline mapping is "File name too long" as a path
        is_file = False
    if is_file:
        text = Path(text).read_text(encoding="utf-8-sig")
    text = text.strip()
    if text.startswith("{"):
        try:
            mapping = json.loads(text)
        except json.JSONDecodeError as err:
            raise InputError(
                f"--map is not valid JSON ({err.msg})",
                expected='{"Source column": "stockcycle column"}',
            ) from None
        return {str(k): str(v) for k, v in mapping.items()}
    mapping = {}
    for part in text.replace("\n", ",").split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise InputError(
                f"--map entry '{part.strip()}' has no '='",
                expected="'Source column=stockcycle column'",
            )
        src, dst = part.rsplit("=", 1)
        mapping[src.strip()] = dst.strip()
    return mapping


def cmd_sample(args: argparse.Namespace) -> int:
    from stockcycle.sample import generate, load_sample

    if args.workspace is not None:
        # As the app's button: a fresh workspace, its dates moved to end yesterday (R-T1).
        from stockcycle import datadate

        ws = Workspace.open(args.workspace)
        if ws.imports().shape[0]:
            raise InputError(
                f"{args.workspace} already holds data",
                column="--workspace",
                expected="a new or empty folder (the sample is loaded into a fresh workspace)",
            )
        end = None if args.as_written else datadate.today() - timedelta(days=1)
        report = load_sample(ws, end=end)
        rows = sum(int(r.get("rows", 0)) for r in report)
        print(
            f"loaded the sample into {args.workspace}: {len(report)} files, {rows:,} rows, data "
            f"up to {ws.data_date().isoformat()}"
        )
        return 0
    manifest = generate(args.out, seed=args.seed)
    print(f"wrote {len(manifest['files'])} files for {len(manifest['skus'])} SKUs to {args.out}")
    for f in manifest["files"]:
        print(f"  {f['name']}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    mapping = parse_mapping(args.map)
    if mapping and not args.as_table:
        raise InputError(
            "--map needs --as to say which table the columns go to",
            expected="--as " + "|".join(MAPPABLE_TABLES),
        )
    period = None
    if args.period:
        start, _, end = args.period.partition(":")
        period = (parse_date(start, "--period start"), parse_date(end or start, "--period end"))
    as_of = parse_date(args.as_of, "--as-of") if args.as_of else None
    from stockcycle.ingest import parse_file  # after the option checks, so a typo fails fast

    # Parse every file before writing anything: one bad file leaves the workspace untouched.
    parsed = []
    for f in args.files:
        progress = None
        if sys.stderr.isatty():

            def progress(frac: float, msg: str, _name: str = f.name) -> None:
                print(f"\r{_name}: {msg} {frac:4.0%}", end="", file=sys.stderr, flush=True)

        parsed.append(
            parse_file(
                f,
                mapping=mapping,
                target=args.as_table,
                as_of=as_of,
                search=args.search,
                period=period,
                progress=progress,
            )
        )
        if progress:
            print(file=sys.stderr)
    ws = Workspace.open(args.workspace)
    report = ws.import_files(parsed)
    for pf in parsed:
        print(printable(pf.summary()))
        for n in pf.notes:
            print(f"  note: {printable(n)}")
        for w in pf.warnings:
            print(f"  problem: {printable(w)}")
    if args.json:
        print(json.dumps(report, indent=2))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    info = open_existing(args.workspace).info()
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return 0
    print(f"workspace {info['workspace']}")
    print(f"  SKUs: {info['skus']}")
    if info["sales_first_date"]:
        print(f"  sales from {info['sales_first_date']} to {info['sales_last_date']}")
    else:
        print("  no sales imported yet")
    for t, n in info["row_counts"].items():
        if n:
            print(f"  {t}: {n:,} rows")
    for s in info["sources"]:
        print(f"  source: {printable(s['file'])} ({s['format']}, {s['rows_loaded']:,} rows)")
    for n in info["notes"]:
        print(f"  note: {printable(n)}")
    for p in info["problems"]:
        print(f"  problem: {printable(p)}")
    return 0


def _for_csv(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Dates as YYYY-MM-DD and whole-valued number columns without '.0' (units 15, not 15.0),
    so the CSV reads like the seller's own files and re-imports as it was."""
    out = df.copy()
    for col, typ in TABLES[table].columns.items():
        if typ == "date":
            out[col] = out[col].dt.strftime("%Y-%m-%d")
        elif typ == "float":
            values = out[col].dropna()
            if len(values) and (values % 1 == 0).all() and values.abs().max() < 2**53:
                out[col] = out[col].astype("Int64")
    return out


def cmd_export(args: argparse.Namespace) -> int:
    check_out(args.out)
    df = _for_csv(open_existing(args.workspace).read(args.table), args.table)
    if args.out:
        # The one formula-safe writer (stockcycle.export): a title such as '=HYPERLINK(...)'
        # is written as text, and the import reads it back as it was (clean.strip).
        write_table(df, args.out, args.table)
        print(f"wrote {len(df):,} {args.table} rows to {printable(args.out)}")
    else:
        from stockcycle.export import to_csv_bytes

        # Through sys.stdout, so the CLI's printable stream shows control characters in a
        # title as escapes on a terminal (--out writes the file's own bytes).
        sys.stdout.write(to_csv_bytes(df).decode("utf-8"))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sample", help="load the sample into a workspace, or write its files (real formats)"
    )
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--workspace",
        "-w",
        type=Path,
        metavar="DIR",
        help="load the sample into this new workspace, its dates moved to end yesterday",
    )
    where.add_argument("--out", type=Path, metavar="DIR", help="write the sample's files here")
    p.add_argument(
        "--as-written",
        action="store_true",
        help="with --workspace: keep the sample's own dates (data up to 2026-10-31)",
    )
    p.add_argument("--seed", type=int, default=7, help="random seed of --out (default 7)")
    p.set_defaults(handler=cmd_sample)

    p = sub.add_parser("import", help="import Amazon / Helium 10 / generic files")
    add_workspace_arg(p)
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument(
        "--map",
        metavar="MAPPING",
        help="column mapping for a file with other headers: "
        "'Source=stockcycle,...', a JSON object, or a file holding either",
    )
    p.add_argument(
        "--as", dest="as_table", choices=MAPPABLE_TABLES, help="the table a mapped file fills"
    )
    p.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="snapshot date for reports that carry none (default: today)",
    )
    p.add_argument(
        "--search",
        metavar="TEXT",
        help="the Amazon search a Helium 10 Xray export was taken on (required for "
        'Xray files), e.g. --search "silicone baking mat"',
    )
    p.add_argument(
        "--period", metavar="START:END", help="period of a Business Report without a date column"
    )
    p.add_argument("--json", action="store_true", help="also print the import report as JSON")
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("info", help="what a workspace holds")
    add_workspace_arg(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_info)

    p = sub.add_parser("export", help="a normalised table as CSV or XLSX (formula-safe)")
    add_workspace_arg(p)
    p.add_argument("--table", required=True, choices=list(TABLES))
    p.add_argument(
        "--out", type=Path, metavar="FILE", help="FILE.csv or FILE.xlsx (default: CSV on stdout)"
    )
    p.set_defaults(handler=cmd_export)
