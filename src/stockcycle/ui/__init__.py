"""The only package that imports streamlit: page setup, the open workspace, errors, navigation.

Every page starts with ``ws = page_setup("Title")``, which also shows the workspace's data
date in the sidebar and warns when it is stale (R-T1, ``stockcycle.datadate``). The open
workspace is a path string in ``st.session_state["workspace_path"]``; uploader values are never
kept across pages (they vanish when the page changes), only what was parsed from them.

Navigation: the app uses Streamlit's ``pages/`` folder (every ``pages/*.py`` is routable by
URL, e.g. ``/Data``); the automatic sidebar list is hidden in ``.streamlit/config.toml`` only so
the entry page can be called "Home" instead of "app". ``sidebar_nav`` draws the same list with
``st.page_link``, titles and icons from the page registry (``stockcycle.pages``).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from stockcycle import datadate
from stockcycle.errors import InputError
from stockcycle.pages import DEFAULT_ICON, PAGES
from stockcycle.store import DB_FILE, Workspace
from stockcycle.ui.shared import SESSION_IDLE_SECONDS, session_dir_of, shared_mode, touch_session

__all__ = [
    "WORKSPACE_KEY",
    "app_dir",
    "close_workspace",
    "current_workspace",
    "data_date",
    "data_version",
    "error_boundary",
    "error_message",
    "flash",
    "is_shared",
    "open_workspace",
    "page_setup",
    "page_files",
    "plain",
    "page_icon",
    "page_label",
    "read_table",
    "show_error",
    "show_flash",
    "show_stale_data",
    "sidebar_nav",
    "start_page",
]

WORKSPACE_KEY = "workspace_path"
_FLASH_KEY = "_stockcycle_flash"
_PAGE_BY_FILE = {p.file: p for p in PAGES}
log = logging.getLogger("stockcycle")
# The app's server log is the terminal that runs it: errors never reach the seller's screen
# as tracebacks, but whoever runs the server sees them (the package itself only has a
# NullHandler, see ``stockcycle/__init__.py``).
if not any(isinstance(h, logging.StreamHandler) for h in log.handlers):
    log.addHandler(logging.StreamHandler())


# -- the open workspace ------------------------------------------------------------------------
def current_workspace() -> Workspace | None:
    """The workspace open in this browser session, or None (draws nothing).

    A path whose database has gone (a deleted folder, an expired temporary directory) counts as
    no workspace, so a page never writes a new empty database behind the seller's back.
    """
    path = st.session_state.get(WORKSPACE_KEY)
    if not path:
        return None
    if not (Path(path) / DB_FILE).is_file():
        st.session_state.pop(WORKSPACE_KEY, None)
        if session_dir_of(path) is not None:
            flash(
                "Your workspace on this shared server was removed after "
                f"{SESSION_IDLE_SECONDS // 3600} hours without use. Restore it on Home from "
                "the file you downloaded, or start again."
            )
        return None
    if session_dir_of(path) is not None:
        touch_session(path)  # in use: not idle (shared mode, ui.shared.SESSION_IDLE_SECONDS)
    return Workspace(path)


def open_workspace(ws: Workspace) -> None:
    """Make ``ws`` the open workspace of this browser session."""
    st.session_state[WORKSPACE_KEY] = str(ws.path)


def close_workspace() -> None:
    st.session_state.pop(WORKSPACE_KEY, None)


def is_shared() -> bool:
    """Shared-deployment mode for this server (env ``STOCKCYCLE_SHARED`` or secrets)."""
    return shared_mode(os.environ, _secrets())


def _secrets() -> dict:
    # st.secrets raises when no secrets file exists (or it does not parse, the same error
    # type): that simply means no secrets, so local mode.
    try:
        return st.secrets.to_dict()
    except StreamlitSecretNotFoundError:
        return {}


# -- messages ------------------------------------------------------------------------------------
# What Markdown, GitHub's extensions or Streamlit's own act on inside a line of text, each
# escaped with a backslash (which CommonMark then shows as the mark itself): links and images
# ("[", "]"), HTML tags and autolinks ("<"), entities ("&"), emphasis, code and strike-through
# ("*", "`", "~", and "_" where it is not inside a word: "All_Orders.csv" stays as it is), math
# ("$"), the backslash itself, and the web and e-mail addresses GitHub Markdown turns into
# links by themselves ("http://", "name@host"; "www." below), and a colon before a letter, which
# Streamlit reads as a directive (":red[...]"; "mailto:help" lost its "help" on screen). The
# marks of a line start (headings,
# lists, quotes, code) are escaped only there, so dates, prices and file names read as written.
_MARKDOWN_INLINE = re.compile(r"[\\`*~$\[\]<&@]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|:(?=[A-Za-z/])")
_MARKDOWN_LINE_START = re.compile(r"^([#>+=|-]|\d+(?=[.)])[.)])")
# GitHub's autolinks (an e-mail address, "http://...", "www....") are found in the text after
# backslash escapes are taken away (a browser showed "help\\@evil.example" as a mailto link),
# so an invisible word joiner (U+2060) after "@" and "://", and inside "www." (after it, the
# browser still linked "www.<joiner>evil.example"), keeps them from being one.
_AUTOLINK_START = re.compile(r"(?<=@)|(?<=://)|(?i:(?<=w)(?=ww\.))")
WORD_JOINER = "\u2060"


def plain(text: object) -> str:
    """``text`` escaped so that ``st.markdown``, ``st.error``, ``st.caption``, an expander's or
    a button's label show it literally: a file name, workspace name, SKU, title or message
    read from a file can never render as a link, an image, a heading or formatting.

    ``[sign in](http://x)`` -> ``\\[sign in\\](http\\://x)``; line breaks become spaces, so the
    text stays on its line (a Markdown table or a heading needs a line of its own); a leading
    ``#``, ``-``, ``>`` or ``1.`` is escaped; leading spaces (a code block) are dropped."""
    one_line = " ".join(str(text).splitlines()).lstrip()
    one_line = _AUTOLINK_START.sub(WORD_JOINER, one_line)
    escaped = _MARKDOWN_INLINE.sub(lambda m: "\\" + m.group(0), one_line)
    # "1." starts a list: the mark after the number is escaped (a digit cannot be).
    return _MARKDOWN_LINE_START.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], escaped)


def error_message(err: Exception) -> str:
    """The one line a seller reads for ``err``: our ``InputError`` as written; anything else
    is a fault of ours, so its traceback goes to the server log (never on screen). Plain text:
    whatever shows it with Markdown escapes it with ``plain`` (as ``show_error`` does)."""
    if isinstance(err, InputError):
        return str(err)
    log.error("unexpected error in the app", exc_info=err)
    detail = str(err) or type(err).__name__
    return f"Something went wrong: {detail}. The details are in the server log."


def show_error(err: Exception) -> None:
    """Show ``err`` to the seller with ``st.error`` (see ``error_message``), escaped with
    ``plain``: the message quotes file names and cells the seller may not have written (a
    report from a tool, a file someone sent), which must never render as a link."""
    st.error(plain(error_message(err)), icon=":material/error:")


@contextmanager
def error_boundary() -> Iterator[None]:
    """The outermost boundary of a page: whatever escapes it is shown with ``show_error``
    instead of a traceback. Code inside catches ``InputError`` where a bad input is expected;
    Streamlit's ``st.stop``/``st.rerun`` are not ``Exception`` subclasses and pass through."""
    try:
        yield
    except Exception as err:  # noqa: BLE001 - the one catch-all: never a traceback on screen
        show_error(err)


def flash(message: str) -> None:
    """Keep a success message for the next run (shown by ``show_flash`` after ``st.rerun``)."""
    st.session_state[_FLASH_KEY] = message


def show_flash() -> None:
    message = st.session_state.pop(_FLASH_KEY, None)
    if message:
        st.success(message, icon=":material/check_circle:")


# -- pages and navigation ------------------------------------------------------------------------
def app_dir() -> Path:
    """The folder holding ``app.py`` and ``pages/`` (the running script's, else the cwd)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    # Outside a Streamlit run (plain Python) there is no context: fall back to the cwd.
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is not None and ctx.main_script_path:
        return Path(ctx.main_script_path).resolve().parent
    return Path.cwd()


def page_label(file_name: str) -> str:
    """The page's title from the registry (``stockcycle.pages``); for a page file not listed
    there, Streamlit's own rule: ``"pages/12_Stock_moves.py"`` -> ``"Stock moves"``."""
    listed = _PAGE_BY_FILE.get(_page_path(file_name))
    if listed is not None:
        return listed.title
    stem = re.sub(r"^[0-9]+[_ -]*", "", Path(file_name).stem)
    return stem.replace("_", " ").strip() or Path(file_name).stem


def page_icon(file_name: str) -> str:
    listed = _PAGE_BY_FILE.get(_page_path(file_name))
    return listed.icon if listed is not None else DEFAULT_ICON


def _page_path(file_name: str) -> str:
    return f"pages/{Path(file_name).name}"


def page_files() -> list[str]:
    """Paths of the pages, relative to the app folder: those of the registry
    (``stockcycle.pages.PAGES``) that exist, in its order, then any other ``pages/*.py`` by
    number (a page added without a registry entry still shows)."""
    folder = app_dir() / "pages"
    if not folder.is_dir():
        return []

    def order(p: Path) -> tuple[float, str]:
        m = re.match(r"^([0-9]+)", p.stem)
        return (float(m.group(1)) if m else float("inf"), p.stem.lower())

    present = {
        _page_path(p.name): p for p in folder.glob("*.py") if not p.name.startswith(("_", "."))
    }
    listed = [p.file for p in PAGES if p.file in present]
    others = sorted((p for f, p in present.items() if f not in _PAGE_BY_FILE), key=order)
    return listed + [_page_path(p.name) for p in others]


def sidebar_nav() -> None:
    with st.sidebar:
        st.page_link("app.py", label="Home", icon=":material/home:")
        for path in page_files():
            st.page_link(path, label=page_label(path), icon=page_icon(path))


def start_page(title: str) -> None:
    """Page config and the sidebar (navigation + open workspace); the page draws its title and
    then ``show_flash()``."""
    st.set_page_config(
        page_title=f"{title} · stockcycle", page_icon=":material/inventory_2:", layout="wide"
    )
    sidebar_nav()
    ws = current_workspace()
    with st.sidebar:
        st.divider()
        if ws is None:
            st.caption("No workspace open")
        else:
            st.markdown(f"**Workspace:** {plain(ws.name)}")
            line = datadate.data_date_line(datadate.today(), data_date(ws))
            if line:
                st.caption(line)
        if is_shared():
            st.caption(
                "Shared server: your workspace lives only in this browser tab's "
                "session. Download it on Home to keep it."
            )


def page_setup(title: str, *, stale_advice: str = datadate.IMPORT_ADVICE) -> Workspace:
    """Set up a page and return the open workspace.

    Without an open workspace it says so, links to Home and stops the script (``st.stop``),
    so the rest of a page can assume a workspace. With one, the data date is in the sidebar
    and a stale-data warning under the title when the data is old (R-T1), ending in
    ``stale_advice`` (the Data page: "below" rather than "on the Data page").
    """
    start_page(title)
    st.title(title)
    show_flash()
    ws = current_workspace()
    if ws is None:
        st.info(
            "Open or create a workspace on Home first: it holds your data and settings.",
            icon=":material/folder_open:",
        )
        st.page_link("app.py", label="Go to Home", icon=":material/home:")
        st.stop()
    show_stale_data(ws, stale_advice)
    return ws


# -- the data date (R-T1) --------------------------------------------------------------------------
def data_date(ws: Workspace) -> date | None:
    """``ws.data_date()`` (the latest sales day or inventory snapshot), cached per data
    version: the sidebar and the stale-data warning read it on every run of every page."""
    return _data_date(str(ws.path), data_version(ws))


def show_stale_data(ws: Workspace, advice: str = datadate.IMPORT_ADVICE) -> None:
    """The stale-data warning of R-T1 at the top of a page, when ``ws``'s data ends more than
    ``datadate.STALE_DATA_DAYS`` before today; nothing otherwise (or for an empty workspace).
    The data date itself is in the sidebar (``start_page``)."""
    message = datadate.stale_data_warning(datadate.today(), data_date(ws), advice)
    if message:
        st.warning(message, icon=":material/event_busy:")


# -- cached reads --------------------------------------------------------------------------------
def data_version(ws: Workspace) -> str:
    """Changes whenever an import lands or the seller edits a product or pins a stage: the key
    that invalidates cached reads of ``ws``."""
    imports = ws.imports()
    return f"{len(imports)}:{imports['id'].max() if len(imports) else 0}:{ws.edits_version()}"


# Cached frames also expire after an hour: on a shared server a visitor who left must not keep
# their tables in the server's memory until 16 newer reads push them out.
@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def read_table(path: str, table: str, version: str) -> pd.DataFrame:
    """``Workspace(path).read(table)``, cached per workspace, table and data version.

    ``version`` (from ``data_version``) is passed explicitly because hashing a large frame or a
    workspace object would be slow or wrong.
    """
    del version  # part of the cache key only
    return Workspace(path).read(table)


@st.cache_data(max_entries=16, show_spinner=False)
def _data_date(path: str, version: str) -> date | None:
    del version  # part of the cache key only
    return Workspace(path).data_date()
