"""Shared deployment: mode detection and the one-file workspace copy (no streamlit here).

Locally the app lists and opens the workspaces in the data directory. On a shared deployment
(many visitors on one server, e.g. Streamlit Community Cloud) a visitor must never see, list or
open another visitor's workspace, so each browser session works in its own fresh temporary
directory and takes its data home as one ``.sqlite`` file (DESIGN.md, "Deployment and
privacy").
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stockcycle.errors import InputError
from stockcycle.store import DB_FILE, restore_workspace_file

_TRUE = {"1", "true", "yes", "on"}
_session_root: Path | None = None


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return str(value).strip().lower() in _TRUE


def shared_mode(env: Mapping[str, str], secrets: Mapping[str, Any] | None) -> bool:
    """True when the app runs as a shared deployment.

    On when the environment has ``STOCKCYCLE_SHARED`` set to 1/true/yes/on, or the secrets hold
    ``[stockcycle] shared = true``. Anything else (missing, empty, malformed) means local mode.
    """
    if _truthy(env.get("STOCKCYCLE_SHARED", "")):
        return True
    section = (secrets or {}).get("stockcycle")
    if isinstance(section, Mapping):
        return _truthy(section.get("shared", False))
    return False


def new_session_dir() -> Path:
    """A fresh private directory for one browser session's workspace.

    All of them sit under one per-process temporary root (mode 0700, from ``tempfile``) that is
    removed when the server exits; the data directory is never used in shared mode.
    """
    global _session_root
    if _session_root is None or not _session_root.is_dir():
        _session_root = Path(tempfile.mkdtemp(prefix="stockcycle-sessions-"))
        atexit.register(shutil.rmtree, _session_root, True)
    return Path(tempfile.mkdtemp(prefix="ws-", dir=_session_root))


def workspace_bytes(db_path: Path) -> bytes:
    """A consistent copy of a workspace database as bytes (SQLite's own serialisation, so a
    write in progress never yields a torn file)."""
    con = sqlite3.connect(db_path)
    try:
        return con.serialize()
    finally:
        con.close()


def restore_workspace(data: bytes, file_name: str, folder: Path) -> Path:
    """Make a fresh workspace in ``folder`` from an uploaded workspace file.

    The upload is never opened as the workspace: ``restore_workspace_file`` reads its known
    tables read-only and copies their rows into a database our own code creates, so no trigger,
    view or other object in the file survives. Anything that is not a stockcycle workspace
    raises ``InputError`` and leaves ``folder`` without a database. Returns the database path.
    """
    if not data.startswith(b"SQLite format 3\x00"):
        raise InputError(
            "this is not a stockcycle workspace file",
            file=file_name,
            expected="a workspace file downloaded from stockcycle (.sqlite)",
        )
    folder.mkdir(parents=True, exist_ok=True)
    upload = folder / (DB_FILE + ".upload")
    upload.write_bytes(data)
    try:
        return restore_workspace_file(upload, file_name, folder)
    finally:
        upload.unlink(missing_ok=True)
