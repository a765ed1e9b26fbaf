"""Home page parts: choosing a workspace (local or shared mode) and what it holds."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pandas as pd
import streamlit as st

from stockcycle import charts, datadate
from stockcycle.errors import InputError
from stockcycle.pages import PAGE_BY_TITLE
from stockcycle.store import Workspace, list_workspaces
from stockcycle.ui import (
    close_workspace,
    current_workspace,
    data_version,
    flash,
    is_shared,
    open_workspace,
    page_files,
    page_icon,
    page_label,
    plain,
    read_table,
    show_error,
    show_flash,
    show_stale_data,
)
from stockcycle.ui.shared import new_session_dir, restore_workspace, workspace_bytes

SAMPLE_NAME = "sample"


# -- actions -------------------------------------------------------------------------------------
def _load_sample(ws: Workspace) -> bool:
    """Import the bundled sample files into ``ws`` with a progress bar; True when it worked.

    A sample file that does not import (a broken installation) is an ``InputError`` naming the
    file; anything else is left to the page's ``error_boundary``."""
    from stockcycle.sample import load_sample

    bar = st.progress(0.0, text="Loading the sample workspace…")

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=message)

    try:
        # Moved to end yesterday, so the demo always looks current (R-T1).
        report = load_sample(ws, progress=progress, end=datadate.today() - timedelta(days=1))
    except InputError as err:
        show_error(err)
        return False
    finally:
        bar.empty()
    rows = sum(int(r.get("rows", 0)) for r in report)
    flash(
        f"Sample workspace loaded: {len(report)} files, {rows:,} rows, its dates moved to end "
        "yesterday."
    )
    return True


def _sample_workspace(shared: bool) -> Workspace:
    if shared:
        return Workspace.open(new_session_dir() / SAMPLE_NAME)
    # A fresh copy each time: the button promises the sample as shipped, not the sample plus
    # whatever was imported into it or changed in its settings since.
    return Workspace.named(SAMPLE_NAME).reset()


def _sample_button(shared: bool, key: str) -> None:
    if st.button("Load sample workspace", key=key, type="primary", icon=":material/science:"):
        ws = _sample_workspace(shared)
        if _load_sample(ws):
            open_workspace(ws)
            st.rerun()


# -- choosing a workspace --------------------------------------------------------------------------
def local_picker() -> None:
    """Open one of the workspaces in the data directory, create one, or load the sample."""
    names = list_workspaces()
    col_open, col_new, col_sample = st.columns(3, border=True)
    with col_open:
        st.markdown("**Open a workspace**")
        if names:
            current = current_workspace()
            index = names.index(current.name) if current and current.name in names else 0
            name = st.selectbox("Workspace", names, index=index, key="home_open_name")
            if st.button("Open", key="home_open", icon=":material/folder_open:"):
                open_workspace(Workspace.named(name))
                flash(f"Opened workspace “{plain(name)}”.")
                st.rerun()
        else:
            st.caption("No workspaces yet: create one or load the sample.")
    with col_new:
        st.markdown("**Create a new workspace**")
        new_name = st.text_input("Name", key="home_new_name", placeholder="e.g. my-brand")
        if st.button("Create", key="home_create", icon=":material/add:"):
            name = new_name.strip()
            try:
                if not name:
                    raise InputError(
                        "the workspace needs a name", expected="letters, digits, spaces, '-' or '_'"
                    )
                existed = name in names
                ws = Workspace.named(name)
            except InputError as err:
                show_error(err)
            else:
                open_workspace(ws)
                flash(
                    f"Opened the existing workspace “{plain(name)}”."
                    if existed
                    else f"Created workspace “{plain(name)}”. Add your files on the Data page."
                )
                st.rerun()
    with col_sample:
        st.markdown("**Try the sample**")
        st.caption(
            "A fictional brand with about 40 products in every life-cycle stage, "
            "in real Amazon and Helium 10 report formats."
        )
        _sample_button(shared=False, key="home_sample")


def shared_picker() -> None:
    """Shared deployment: a private workspace per browser session; no listing of anyone's."""
    st.info(
        "This is a shared server. Your workspace is private to this browser session and is "
        "deleted when the server restarts: download it to keep it, restore it next time.",
        icon=":material/lock:",
    )
    col_sample, col_new, col_restore = st.columns(3, border=True)
    with col_sample:
        st.markdown("**Try the sample**")
        st.caption("A fictional brand with about 40 products in every life-cycle stage.")
        _sample_button(shared=True, key="home_sample")
    with col_new:
        st.markdown("**Start an empty workspace**")
        st.caption("Then add your files on the Data page.")
        if st.button("Start", key="home_start", icon=":material/add:"):
            open_workspace(Workspace.open(new_session_dir() / "workspace"))
            flash("Started an empty workspace. Add your files on the Data page.")
            st.rerun()
    with col_restore:
        st.markdown("**Restore workspace**")
        upload = st.file_uploader(
            "Workspace file (.sqlite)", type=["sqlite", "sqlite3", "db"], key="home_restore_file"
        )
        if upload is not None and st.button(
            "Restore", key="home_restore", icon=":material/restore:"
        ):
            # Keep the seller's name for it: "stockcycle-my-brand.sqlite" -> "my-brand".
            stem = re.sub(r"[^\w -]", "", Path(upload.name).stem.removeprefix("stockcycle-"))
            folder = new_session_dir() / (stem.strip() or "workspace")
            try:
                restore_workspace(upload.getvalue(), upload.name, folder)
                ws = Workspace.open(folder, create=False)
            except InputError as err:  # not a workspace file, or one SQLite cannot open
                show_error(err)
            else:
                open_workspace(ws)
                flash(f"Restored workspace from {plain(upload.name)}.")
                st.rerun()


def download_button(ws: Workspace) -> None:
    """The whole workspace as one file, built only when clicked."""
    st.download_button(
        "Download workspace",
        data=lambda: workspace_bytes(ws.db_path),
        file_name=f"stockcycle-{ws.name}.sqlite",
        mime="application/vnd.sqlite3",
        icon=":material/download:",
        key="home_download",
        on_click="ignore",
    )


# -- what is loaded ------------------------------------------------------------------------------
def _daily_units(ws: Workspace) -> pd.DataFrame:
    sales = read_table(str(ws.path), "sales", data_version(ws))
    return charts.daily_units_frame(sales)


def summary(ws: Workspace, shared: bool) -> None:
    """SKUs, sales range, sources, data problems and a chart of total daily units."""
    info = ws.info()
    head, action = st.columns([3, 1], vertical_alignment="bottom")
    head.subheader(f"Workspace “{plain(ws.name)}”")
    with action:
        if shared:
            download_button(ws)
        elif st.button("Close workspace", key="home_close", icon=":material/close:"):
            close_workspace()
            st.rerun()
    show_stale_data(ws)
    if not info["sources"]:
        st.info(
            "This workspace is empty. Add your sales, inventory and product files on the "
            "Data page.",
            icon=":material/upload_file:",
        )
        st.page_link("pages/1_Data.py", label="Add data", icon=":material/upload_file:")
        return
    counts = info["row_counts"]
    first, last = info["sales_first_date"], info["sales_last_date"]
    days = (pd.Timestamp(last) - pd.Timestamp(first)).days + 1 if first and last else 0
    cols = st.columns(4)
    cols[0].metric("SKUs", f"{info['skus']:,}")
    cols[1].metric("Days of sales history", f"{days:,}")
    cols[2].metric("Sales rows", f"{counts.get('sales', 0):,}")
    cols[3].metric("Files imported", f"{len(info['sources']):,}")
    if first:
        st.markdown(f"Sales from **{first}** to **{last}**.")

    daily = _daily_units(ws)
    if not daily.empty:
        st.markdown("**Units sold per day, all products and channels**")
        st.altair_chart(charts.daily_units_chart(daily), width="stretch")

    import_messages(info["problems"], info["notes"])

    with st.expander("Data sources", expanded=False):
        sources = pd.DataFrame(info["sources"]).rename(
            columns={
                "file": "File",
                "format": "Recognised as",
                "rows_read": "Lines read",
                "rows_loaded": "Rows loaded",
                "imported_at": "Imported (UTC)",
            }
        )
        st.dataframe(sources, hide_index=True, width="stretch")
        tables = pd.DataFrame([{"Table": t, "Rows": n} for t, n in counts.items() if n])
        st.dataframe(tables, hide_index=True)


def import_messages(problems: list[str], notes: list[str]) -> None:
    """Problems (rows left out or changed, which a seller may want to fix at the source) as a
    warning; notes (neutral facts such as sponsored rows kept) as a caption, out of the way."""
    if problems:
        n = len(problems)
        st.warning(
            f"{n} data problem{'s' if n != 1 else ''} found while importing: please "
            f"check {'them' if n != 1 else 'it'} below. The files were still imported; "
            "where the result is not what you want, fix the source file and import it "
            "again.",
            icon=":material/warning:",
        )
        with st.expander("Data problems"):
            # Each problem quotes a file's name and cells (also from a restored workspace's
            # import log): escaped, so none renders as a link.
            st.markdown("\n".join(f"- {plain(p)}" for p in problems))
    else:
        st.caption("No data problems found in the imported files.")
    if notes:
        with st.expander(f"Import notes ({len(notes)}): what was read and how, no action needed"):
            st.markdown("\n".join(f"- {plain(n)}" for n in notes))


def next_steps() -> None:
    st.markdown("**Go to**")
    for path in page_files():
        listed = PAGE_BY_TITLE.get(page_label(path))
        purpose = f": {listed.purpose}" if listed else ""
        st.page_link(path, label=f"{page_label(path)}{purpose}", icon=page_icon(path))


def main() -> None:
    """Draw Home below the page set-up (``ui.start_page``)."""
    shared = is_shared()
    st.title("stockcycle")
    show_flash()
    st.markdown(
        "Plan inventory for your Amazon products across their whole life: launch, growth, "
        "maturity, decline and exit. Load your Amazon and Helium 10 reports, and every page "
        "ends in a decision you can act on: an order quantity, a ship date, a price or an "
        "exit date."
    )
    ws = current_workspace()
    picker = shared_picker if shared else local_picker
    if ws is None:
        picker()
        return
    summary(ws, shared)
    next_steps()
    st.divider()
    with st.expander("Switch workspace" if not shared else "Start over or restore"):
        picker()
