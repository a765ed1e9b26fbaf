"""Data page parts: upload and parse files, map unknown columns, import, preview, export.

Uploaded files are parsed at once and only the parsed results (plus the raw bytes, to re-read a
file with another snapshot date or column mapping) are kept, under this module's own session
keys: the uploader's value vanishes when the seller changes page (DESIGN.md, Streamlit notes).
Nothing reaches the workspace until "Import into workspace": one ``ws.import_files`` call, one
transaction, so a failed import leaves the workspace as it was.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pandas as pd
import streamlit as st

from stockcycle.errors import InputError
from stockcycle.export import to_csv_bytes
from stockcycle.ingest.result import ParsedFile
from stockcycle.schema import TABLES
from stockcycle.store import Workspace
from stockcycle.ui import data_version, error_message, flash, plain, read_table, show_error
from stockcycle.ui.products import product_editor_section
from stockcycle.ui.shared import check_session_size

PENDING_KEY = "data_pending"  # {entry id: entry dict}, in upload order
_SEEN_KEY = "data_seen_uploads"  # uploader file ids already parsed
_GEN_KEY = "data_uploader_generation"  # bumped to give the seller an empty uploader
FILE_TYPES = ["csv", "txt", "tsv", "xlsx"]
PREVIEW_ROWS = 200
_NOT_IN_FILE = "(not in this file)"
XRAY = "helium10_xray"  # the kind of an Xray export (old layout: "helium10_xray_old")
# The Business Report by child item without a Date column: one row per SKU for a period the
# file does not state.
BUSINESS_REPORT_NO_DATES = "amazon_business_report"


# -- parsing -------------------------------------------------------------------------------------
def _with_file_name(message: str, file_name: str) -> str:
    return message if file_name in message else f"{file_name}: {message}"


def parse_entry(entry: dict[str, Any]) -> None:
    """Parse ``entry["data"]`` with its options, storing the result or the error in ``entry``.

    An unrecognised header keeps the file's columns so the mapping step can be offered; any
    error stays with this file only, the other files still import.
    """
    from stockcycle.ingest import SearchNeeded, UnrecognisedFormat, parse_file

    name = entry["name"]
    bar = st.progress(0.0, text=f"Reading {plain(name)}…")  # the text is Markdown

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=f"{plain(name)}: {message}")

    try:
        parsed = parse_file(
            entry["data"],
            name,
            mapping=entry["mapping"],
            target=entry["target"],
            as_of=entry["as_of"],
            search=entry["search"],
            period=entry["period"],
            progress=progress,
        )
    except UnrecognisedFormat as err:
        columns = [str(c) for c in err.columns]
        entry.update(
            parsed=None,
            columns=columns,
            detail=str(err),
            kind=None,
            waiting=False,
            error=f"{name}: its headers ({', '.join(columns[:8])}"
            f"{', …' if len(columns) > 8 else ''}) match no known report. "
            "Tell stockcycle what the columns hold below.",
        )
    except SearchNeeded as err:
        # Not a broken file: an Xray export that waits for the seller to name its search.
        entry.update(
            parsed=None, error=_with_file_name(str(err), name), detail=None, kind=XRAY, waiting=True
        )
    except InputError as err:
        # A failed mapping keeps the mapping step open with the columns read before; an Xray
        # keeps its search input on screen.
        entry.update(parsed=None, error=_with_file_name(str(err), name), detail=None, waiting=False)
    except Exception as err:  # noqa: BLE001 - one broken file must not stop the others
        # The boundary of this one file: the seller reads one line (the traceback is logged)
        # and can remove the file; the other files still import.
        entry.update(parsed=None, detail=None, waiting=False, error=f"{name}: {error_message(err)}")
    else:
        entry.update(parsed=parsed, error=None, detail=None, kind=parsed.kind, waiting=False)
    finally:
        bar.empty()


def pending() -> dict[str, dict[str, Any]]:
    return st.session_state.setdefault(PENDING_KEY, {})


def take_uploads(files: list[Any]) -> None:
    """Parse every newly uploaded file once and add it to the pending list."""
    seen: set[str] = st.session_state.setdefault(_SEEN_KEY, set())
    entries = pending()
    for f in files:
        file_id = getattr(f, "file_id", None) or f"{f.name}:{f.size}"
        if file_id in seen:
            continue
        seen.add(file_id)
        data = f.getvalue()
        entry_id = hashlib.sha256(data + f.name.encode()).hexdigest()[:16]
        entries[entry_id] = {
            "id": entry_id,
            "name": f.name,
            "data": data,
            "parsed": None,
            "error": None,
            "columns": None,
            "mapping": None,
            "target": None,
            "as_of": None,
            "search": None,
            "period": None,
            "kind": None,
            "waiting": False,
        }
        parse_entry(entries[entry_id])


def reset_uploader() -> None:
    st.session_state[_GEN_KEY] = st.session_state.get(_GEN_KEY, 0) + 1


# -- drawing one file ----------------------------------------------------------------------------
def _is_xray(kind: str | None) -> bool:
    return bool(kind) and str(kind).startswith(XRAY)


def _report_inputs(entry: dict[str, Any]) -> None:
    """What a report does not say about itself, asked for next to it; a change re-reads the
    file. An Xray export needs the search it was taken on (required: snapshots of the same
    search are compared over time); a Business Report without a Date column needs the period
    it covers; other snapshot reports without a date take an "as of" date."""
    xray = _is_xray(entry["kind"])
    pf: ParsedFile | None = entry["parsed"]
    if not xray and (pf is None or (pf.kind != BUSINESS_REPORT_NO_DATES and pf.as_of is None)):
        return
    left, right = st.columns(2)
    if xray:
        search = left.text_input(
            "Search this Xray was taken on (required)",
            value=entry["search"] or "",
            key=f"search_{entry['id']}",
            placeholder="e.g. silicone baking mat",
            help="The Amazon search term or category page the export shows. Snapshots of the "
            "same search, taken on different days, are compared over time.",
        ).strip()
        if (search or None) != entry["search"]:
            # Read again at once, so the file's other inputs show up in this same run.
            entry.update(search=search or None)
            parse_entry(entry)
            pf = entry["parsed"]
    where = right if xray else left
    changes: dict[str, Any] = {}
    if pf is not None and pf.kind == BUSINESS_REPORT_NO_DATES and len(pf.tables["traffic"]):
        traffic = pf.tables["traffic"]
        used = (traffic["period_start"].iloc[0].date(), traffic["period_end"].iloc[0].date())
        chosen = where.date_input(
            "Period the report covers",
            value=used,
            key=f"period_{entry['id']}",
            help="This Business Report has no Date column: give the dates you chose in "
            "Seller Central when you downloaded it (by default the 30 days ending on "
            "the day it was downloaded).",
        )
        if isinstance(chosen, tuple | list) and len(chosen) == 2 and tuple(chosen) != used:
            changes["period"] = (chosen[0], chosen[1])
    elif pf is not None and pf.as_of is not None:
        chosen_date = where.date_input(
            "Snapshot date (as of)",
            value=pf.as_of,
            key=f"asof_{entry['id']}",
            help="This report carries no date of its own: the day it was downloaded.",
        )
        if chosen_date != pf.as_of:
            changes["as_of"] = chosen_date
    if changes:
        entry.update(changes)
        parse_entry(entry)


def _guess(column: str, columns: list[str]) -> int:
    """Index (in the selectbox options) of the file column that plainly is ``column``."""

    def norm(text: str) -> str:
        return re.sub(r"[^a-z0-9]", "", text.lower())

    for i, c in enumerate(columns):
        if norm(c) == norm(column):
            return i + 1
    return 0


def _mapping_step(entry: dict[str, Any]) -> None:
    from stockcycle.ingest import TARGETS

    columns: list[str] = entry["columns"]
    with st.container(border=True):
        st.markdown("**Map the columns** — tell stockcycle what this file holds.")
        targets = list(TARGETS)
        target = st.selectbox(
            "This file holds",
            targets,
            key=f"map_target_{entry['id']}",
            index=targets.index(entry["target"]) if entry["target"] in targets else 0,
            format_func=lambda t: getattr(TARGETS[t], "label", "") or t,
        )
        info = TARGETS[target]
        required = list(getattr(info, "required", ()))
        optional = list(getattr(info, "optional", ()))
        options = [_NOT_IN_FILE, *columns]
        chosen: dict[str, str] = {}
        grid = st.columns(3)
        for i, col in enumerate(required + optional):
            src = grid[i % 3].selectbox(
                f"{col}{' (required)' if col in required else ''}",
                options,
                index=_guess(col, columns),
                key=f"map_{entry['id']}_{target}_{col}",
            )
            if src != _NOT_IN_FILE:
                chosen[col] = src
        if st.button(
            "Read with this mapping", key=f"map_apply_{entry['id']}", icon=":material/swap_horiz:"
        ):
            entry.update(mapping={src: col for col, src in chosen.items()}, target=target)
            parse_entry(entry)
            st.rerun()


def draw_entry(entry: dict[str, Any]) -> None:
    """What one file was recognised as (rows, tables, notes), or its error."""
    with st.container(border=True):
        title, remove = st.columns([6, 1], vertical_alignment="center")
        if remove.button("Remove", key=f"remove_{entry['id']}", icon=":material/delete:"):
            pending().pop(entry["id"], None)
            st.rerun()
        _report_inputs(entry)
        pf: ParsedFile | None = entry["parsed"]
        if pf is None and entry["waiting"]:
            title.markdown(f"**{plain(entry['name'])}** — recognised as **Helium 10 Xray export**")
            st.warning(plain(entry["error"]), icon=":material/edit:")
            return
        if pf is None:
            title.markdown(f"**{plain(entry['name'])}**")
            st.error(plain(entry["error"]), icon=":material/error:")
            if entry.get("detail"):
                with st.expander("Which known reports come closest"):
                    st.text(entry["detail"])
            if entry["columns"]:
                _mapping_step(entry)
            return
        title.markdown(f"**{plain(entry['name'])}** — recognised as **{pf.label}**")
        tables = (
            ", ".join(
                f"{len(df):,} {name} row{'s' if len(df) != 1 else ''}"
                for name, df in pf.tables.items()
                if len(df)
            )
            or "no rows"
        )
        lines = f"{pf.rows_read:,} line{'s' if pf.rows_read != 1 else ''}"
        st.markdown(f":material/check_circle: {lines} read → {tables}")
        # Warnings and notes quote the file's own headers and cells: escaped (plain).
        for warning in pf.warnings:
            st.warning(plain(warning), icon=":material/warning:")
        for note in pf.notes:
            st.caption(f":material/info: {plain(note)}")


# -- the page ------------------------------------------------------------------------------------
def upload_section(ws: Workspace) -> None:
    st.subheader("Add files")
    st.caption(
        "Amazon All Orders, Business Report, FBA inventory and inventory-age reports, "
        "Helium 10 Xray and Cerebro exports, or your own tables of sales, inventory, "
        "products, keywords, promotions or purchase orders (CSV, TSV, TXT or XLSX). "
        "Files are checked here first; nothing is saved until you import them."
    )
    files = st.file_uploader(
        "Files to import",
        type=FILE_TYPES,
        accept_multiple_files=True,
        key=f"data_upload_{st.session_state.get(_GEN_KEY, 0)}",
    )
    take_uploads(list(files or []))
    entries = list(pending().values())
    for entry in entries:
        draw_entry(entry)
    ready = [e for e in pending().values() if e["parsed"] is not None]
    if not entries:
        return
    go, clear = st.columns([3, 1])
    label = f"Import {len(ready)} file{'s' if len(ready) != 1 else ''} into workspace"
    if go.button(
        label, type="primary", disabled=not ready, key="data_import", icon=":material/save:"
    ):
        try:
            check_session_size(ws.path)  # shared mode: one visitor's cap (ui.shared)
            report = ws.import_files([e["parsed"] for e in ready])
        except InputError as err:  # a value the workspace cannot store; nothing was written
            show_error(err)
            return
        for e in ready:
            pending().pop(e["id"], None)
        reset_uploader()
        rows = sum(r["rows"] for r in report)
        flash(
            f"Imported {len(report)} file{'s' if len(report) != 1 else ''} "
            f"({rows:,} rows) into “{plain(ws.name)}”."
        )
        st.rerun()
    if clear.button("Clear the list", key="data_clear", icon=":material/clear_all:"):
        pending().clear()
        reset_uploader()
        st.rerun()


def _csv_bytes(df: pd.DataFrame, table: str) -> bytes:
    out = df.copy()
    for col, typ in TABLES[table].columns.items():
        if typ == "date":
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    return to_csv_bytes(out)  # formula-safe: a title like "=HYPERLINK(...)" stays text


def preview_section(ws: Workspace) -> None:
    st.subheader("What is in the workspace")
    counts = ws.row_counts()
    tables = list(TABLES)
    filled = [t for t in tables if counts.get(t)]
    table = st.selectbox(
        "Table", tables, key="data_preview_table", index=tables.index(filled[0]) if filled else 0
    )
    st.caption(f"{TABLES[table].description} {counts.get(table, 0):,} rows.")
    if not counts.get(table):
        st.info("Nothing imported into this table yet.")
        return
    df = read_table(str(ws.path), table, data_version(ws))
    dates = {
        c: st.column_config.DateColumn(c, format="YYYY-MM-DD")
        for c, typ in TABLES[table].columns.items()
        if typ == "date"
    }
    st.dataframe(df.head(PREVIEW_ROWS), hide_index=True, width="stretch", column_config=dates)
    if len(df) > PREVIEW_ROWS:
        st.caption(f"The first {PREVIEW_ROWS} of {len(df):,} rows; download the table for all.")
    st.download_button(
        f"Download {table}.csv",
        data=lambda: _csv_bytes(df, table),
        file_name=f"{ws.name}-{table}.csv",
        mime="text/csv",
        key="data_download",
        on_click="ignore",
        icon=":material/download:",
    )


def import_log_section(ws: Workspace) -> None:
    st.subheader("Import log")
    log_df = ws.imports()
    if log_df.empty:
        st.caption("No files imported yet.")
        return
    view = pd.DataFrame(
        {
            "File": log_df["file_name"],
            "Recognised as": log_df["label"],
            "Lines read": log_df["rows_read"],
            "Rows loaded": log_df["rows_loaded"],
            "As of": log_df["as_of"],
            "Imported (UTC)": log_df["imported_at"],
            "Problems": [" · ".join(json.loads(w or "[]")) for w in log_df["warnings"]],
            "Notes": [" · ".join(json.loads(n or "[]")) for n in log_df["notes"]],
        }
    )
    st.dataframe(view, hide_index=True, width="stretch")


def main(ws: Workspace) -> None:
    upload_section(ws)
    st.divider()
    product_editor_section(ws)
    st.divider()
    preview_section(ws)
    st.divider()
    import_log_section(ws)
