"""The product editor on the Data page: costs, lead times, case packs, weights and searches.

Amazon's reports carry none of these, so the seller types them here. The blanks are listed first
with what each one hides; the table is filtered by SKU text and "only SKUs with blanks" so a
catalogue of thousands stays workable. Saving checks every value (``products.validate_edits``)
and stores them beside the imported rows, where a re-import cannot overwrite them.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from stockcycle import products
from stockcycle.errors import InputError
from stockcycle.store import Workspace
from stockcycle.ui import data_version, flash, read_table, show_error

#: Rows drawn in the editor at once; the filter narrows a larger catalogue.
EDITOR_ROWS = 500
_SIZE_TIERS = [
    "Small standard",
    "Large standard",
    "Small oversize",
    "Medium oversize",
    "Large oversize",
    "Special oversize",
    "Small bulky",
    "Large bulky",
    "Extra-large 0 to 50 lb",
]


def _column_config(table: pd.DataFrame) -> dict[str, object]:
    config: dict[str, object] = {
        "sku": st.column_config.TextColumn("SKU", disabled=True),
        "title": st.column_config.TextColumn("Title", disabled=True, width="medium"),
    }
    for f in products.FIELDS:
        label = f.label[0].upper() + f.label[1:] + (f" ({f.unit})" if f.unit else "")
        if f.kind == "size tier":
            # A tier spelled another way by a report stays selectable, not blanked.
            known = [str(v) for v in table[f.column].dropna().unique() if v not in _SIZE_TIERS]
            config[f.column] = st.column_config.SelectboxColumn(
                label, options=_SIZE_TIERS + sorted(known)
            )
        elif f.kind == "text":
            config[f.column] = st.column_config.TextColumn(
                label, max_chars=products.MAX_TEXT_LENGTH
            )
        else:
            config[f.column] = st.column_config.NumberColumn(
                label,
                min_value=1 if f.kind == "count" else 0,
                max_value=products.MAX_DAYS if f.kind == "days" else None,
                step=1 if f.kind in ("count", "days") else 0.01,
                format="%.2f" if f.kind == "money" else None,
            )
    return config


def product_editor_section(ws: Workspace) -> None:
    st.subheader("Product costs and supply")
    skus = ws.skus()
    if not skus:
        st.info("Import sales or an inventory report first; then give each product its costs here.")
        return
    table = products.editor_table(read_table(str(ws.path), "products", data_version(ws)), skus)
    gaps = products.blanks(table, ws.settings())
    if gaps:
        st.warning("\n".join(f"- {b.message}" for b in gaps[:6]), icon=":material/edit_note:")
    else:
        st.success("Every product has all its figures.", icon=":material/check_circle:")
    left, right = st.columns([2, 1])
    text = left.text_input("Find SKU or title", key="product_editor_find")
    only_blank = right.toggle(
        "Only SKUs with blanks", value=bool(gaps), key="product_editor_only_blank"
    )
    shown = table
    if text.strip():
        needle = text.strip().casefold()
        hay = shown["sku"].str.casefold() + " " + shown["title"].astype("string").str.casefold()
        shown = shown[hay.str.contains(needle, regex=False).fillna(False)]
    if only_blank:
        cols = [f.column for f in products.FIELDS]
        shown = shown[shown[cols].isna().any(axis=1)]
    if len(shown) > EDITOR_ROWS:
        st.caption(f"The first {EDITOR_ROWS:,} of {len(shown):,} SKUs; find a SKU to narrow.")
        shown = shown.head(EDITOR_ROWS)
    shown = shown.reset_index(drop=True)
    with st.form("product_editor", border=False):
        edited = st.data_editor(
            shown,
            column_config=_column_config(table),
            hide_index=True,
            width="stretch",
            num_rows="fixed",
            key="product_editor_grid",
        )
        saved = st.form_submit_button("Save product figures", icon=":material/save:")
    with st.expander("Explain: where these figures go"):
        st.markdown(
            "Your figures are kept beside the imported reports: importing a report again never "
            "overwrites them. Emptying a cell removes your figure (an imported one shows again)."
            "\n\n"
            + "\n".join(
                f"- **{f.label}**: without it, {f.blank_hides}"
                + (f" ({f.blank_uses(ws.settings())})" if f.blank_uses else "")
                for f in products.FIELDS
            )
        )
    if saved:
        save(ws, shown, pd.DataFrame(edited))


def save(ws: Workspace, before: pd.DataFrame, after: pd.DataFrame) -> None:
    """Check and store the cells the seller changed; say how many, or what is wrong."""
    try:
        edits = products.validate_edits(products.changed_cells(before, after))
    except InputError as err:
        show_error(err)
        return
    if not edits:
        st.info("Nothing changed.")
        return
    ws.set_product_values(edits)
    cells = sum(len(v) for v in edits.values())
    flash(f"Saved {cells} figure{'s' if cells != 1 else ''} for {len(edits)} SKU(s).")
    st.rerun()
