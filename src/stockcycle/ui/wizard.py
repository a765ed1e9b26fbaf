"""Numbered wizard steps for the stage pages, with inputs that survive page switches.

Streamlit forgets a widget's value as soon as the widget is not drawn (another step of the
wizard, another page). A ``Wizard`` therefore keeps the current step and every input under its
own session-state entry, one per wizard name and workspace, and seeds each widget from it when
the widget is drawn again::

    wiz = Wizard("launch", ["Peers", "Demand", "Economics"], ws)
    wiz.run([draw_peers, draw_demand, draw_economics],    # navigation, one step, Back/Next
            needs={2: lambda: None if wiz.has("demand") else "Set the demand first."})

    def draw_peers():
        top_n = wiz.field(st.slider, "Top N by BSR", "top_n", 10, min_value=1, max_value=50)

``field`` draws a widget whose value is restored from, and written back to, the wizard's
store. ``get``/``set`` read and write the store directly (computed results, typed tables);
``widget_key`` gives the session key of an input for widgets drawn by hand.

Also here: ``explain`` (the "Explain: ..." expander every number gets) and ``download_plan``
(CSV + XLSX buttons whose cells cannot run as spreadsheet formulas, ``stockcycle.export``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from stockcycle.export import to_csv_bytes, to_xlsx_bytes
from stockcycle.store import Workspace

__all__ = ["Wizard", "download_plan", "explain", "state_key"]

T = TypeVar("T")
_STORE_PREFIX = "_wizard"
_MISSING = object()


class Wizard:
    """The state of one wizard (``name``) for one workspace in this browser session.

    ``steps`` are the step titles, shown as "1 Title", "2 Title", ... . The step and the inputs
    are kept per workspace: opening another workspace starts its wizard at step 1 with its own
    inputs, and coming back to the first one finds its inputs as they were.
    """

    def __init__(self, name: str, steps: Sequence[str], ws: Workspace) -> None:
        if not steps:
            raise ValueError("a wizard needs at least one step")
        self.name = name
        self.steps = list(steps)
        self.ws = ws
        # The workspace path in a key is hashed: keys stay short and carry no file path.
        self._store_key = state_key(name, ws)
        self._id = self._store_key[len(_STORE_PREFIX) + 1 :]
        self._nav_key = f"{_STORE_PREFIX}_nav:{self._id}"
        if self._store_key not in st.session_state:
            st.session_state[self._store_key] = {"step": 0, "values": {}}
        self._sync()

    def _sync(self) -> None:
        """Take the values of this wizard's widgets drawn in the last run into the store.

        At the start of a run a widget's session key already holds what the seller just set,
        so a step can compute with every current input before its widgets are drawn (and an
        earlier part of the page never works with the value from before the change).
        """
        values = self._state["values"]
        prefix = f"{_STORE_PREFIX}_w:{self._id}:"
        for wkey in list(st.session_state.keys()):
            if isinstance(wkey, str) and wkey.startswith(prefix):
                key = wkey[len(prefix) :]
                if key in values:
                    values[key] = st.session_state[wkey]

    # -- the store -----------------------------------------------------------------------------
    @property
    def _state(self) -> dict[str, Any]:
        return st.session_state[self._store_key]

    @property
    def step(self) -> int:
        """Index of the current step (0-based)."""
        return min(max(int(self._state["step"]), 0), len(self.steps) - 1)

    @step.setter
    def step(self, index: int) -> None:
        self._state["step"] = min(max(int(index), 0), len(self.steps) - 1)

    def get(self, key: str, default: Any = None) -> Any:
        """A stored input or result, or ``default`` when there is none."""
        return self._state["values"].get(key, default)

    def set(self, key: str, value: Any) -> None:
        """Store an input or a result under ``key`` (kept across steps and pages)."""
        self._state["values"][key] = value

    def has(self, key: str) -> bool:
        return key in self._state["values"]

    def pop(self, key: str) -> Any:
        """Forget a stored value (and the widget's current value, if any)."""
        st.session_state.pop(self.widget_key(key, seed=False), None)
        return self._state["values"].pop(key, None)

    def reset(self) -> None:
        """Back to step 1 with no inputs (widgets fall back to their defaults)."""
        for key in list(self._state["values"]):
            st.session_state.pop(self.widget_key(key, seed=False), None)
        self._state["values"].clear()
        self.step = 0
        st.session_state.pop(self._nav_key, None)

    # -- widgets -------------------------------------------------------------------------------
    def widget_key(self, key: str, default: Any = _MISSING, *, seed: bool = True) -> str:
        """The session key of the widget for input ``key``.

        When the widget is about to be drawn again (its key is not in the session), the key is
        seeded with the stored value, or ``default``. Pass the key as the widget's ``key`` and
        do not also give the widget a default value; store what it returns with ``set``
        (``field`` does all of this).
        """
        wkey = f"{_STORE_PREFIX}_w:{self._id}:{key}"
        if seed and wkey not in st.session_state:
            value = self.get(key, default)
            if value is not _MISSING:
                st.session_state[wkey] = value
        return wkey

    def field(self, widget: Callable[..., T], label: str, key: str, default: Any, **kwargs) -> T:
        """Draw ``widget(label, key=..., **kwargs)`` restored from the store, store its value.

        ``default`` is the value before the seller touches it. For widgets with ``options``
        (selectbox, radio, multiselect) a stored value that is no longer an option falls back
        to ``default``, so a changed peer list never breaks the page.
        """
        stored = self.get(key, default)
        options = kwargs.get("options")
        if options is not None:
            opts = list(options)
            if isinstance(stored, list | tuple) and widget is not st.select_slider:
                stored = [v for v in stored if v in opts]
            elif stored not in opts:
                stored = default if default in opts else (opts[0] if opts else None)
            wkey = f"{_STORE_PREFIX}_w:{self._id}:{key}"
            current = st.session_state.get(wkey, _MISSING)
            if current is not _MISSING and (
                (isinstance(current, list) and any(v not in opts for v in current))
                or (not isinstance(current, list) and current not in opts)
            ):
                st.session_state.pop(wkey)
            self.set(key, stored)
        wkey = self.widget_key(key, stored)
        value = widget(label, key=wkey, **kwargs)
        self.set(key, value)
        return value

    def show_steps(self) -> int:
        """Numbered step navigation ("1 Peers  2 Demand ..."); returns the current step."""
        labels = [f"{i + 1} {title}" for i, title in enumerate(self.steps)]
        if st.session_state.get(self._nav_key) not in range(len(labels)):
            st.session_state[self._nav_key] = self.step
        chosen = st.radio(
            "Step",
            list(range(len(labels))),
            format_func=lambda i: labels[i],
            key=self._nav_key,
            horizontal=True,
            label_visibility="collapsed",
        )
        self.step = int(chosen if chosen is not None else self.step)
        return self.step

    def run(
        self,
        draws: Sequence[Callable[[], None]],
        needs: Mapping[int, Callable[[], str | None]] | None = None,
    ) -> None:
        """The whole wizard: the numbered navigation, the current step, Back and Next.

        ``draws[i]`` draws step i. ``needs[i]``, when given, says why step i cannot be shown yet
        (an input of an earlier step is missing) or returns None; the page then shows that
        reason with a way back instead of a step computed on half its inputs."""
        if len(draws) != len(self.steps):
            raise ValueError(f"{len(self.steps)} steps but {len(draws)} ways to draw them")
        step = self.show_steps()
        check = (needs or {}).get(step)
        problem = check() if check is not None else None
        if problem:
            st.warning(problem, icon=":material/arrow_back:")
        else:
            draws[step]()
        self.nav_buttons()

    def go(self, index: int) -> None:
        """Move to step ``index`` (from a callback, before the navigation is drawn)."""
        self.step = index
        st.session_state[self._nav_key] = self.step

    def next_button(self, label: str | None = None) -> None:
        """A "Next: <step>" button (nothing on the last step)."""
        if self.step >= len(self.steps) - 1:
            return
        st.button(
            label or f"Next: {self.steps[self.step + 1]}",
            key=f"{self._nav_key}:next:{self.step}",
            type="primary",
            on_click=self.go,
            args=(self.step + 1,),
            icon=":material/arrow_forward:",
        )

    def back_button(self, label: str | None = None) -> None:
        """A "Back: <step>" button (nothing on the first step)."""
        if self.step <= 0:
            return
        st.button(
            label or f"Back: {self.steps[self.step - 1]}",
            key=f"{self._nav_key}:back:{self.step}",
            on_click=self.go,
            args=(self.step - 1,),
            icon=":material/arrow_back:",
        )

    def nav_buttons(self) -> None:
        """Back and Next side by side (only those that lead somewhere)."""
        buttons = []
        if self.step > 0:
            buttons.append(self.back_button)
        if self.step < len(self.steps) - 1:
            buttons.append(self.next_button)
        if not buttons:
            return
        columns = st.columns([1] * len(buttons) + [5 - len(buttons)])
        for column, draw in zip(columns, buttons, strict=False):
            with column:
                draw()


def state_key(name: str, ws: Workspace) -> str:
    """The session-state key holding wizard ``name``'s ``{"step": i, "values": {...}}`` for
    ``ws`` (tests seed inputs through it, e.g. tables a data editor would hold)."""
    return f"{_STORE_PREFIX}:{name}:{hashlib.sha1(str(ws.path).encode()).hexdigest()[:10]}"


def explain(label: str, text: str) -> None:
    """An "Explain: <label>" expander with ``text`` (Markdown: the formula and its inputs)."""
    with st.expander(f"Explain: {label}", icon=":material/calculate:"):
        st.markdown(text)


def download_plan(
    frame: pd.DataFrame,
    file_stem: str,
    *,
    label: str = "plan",
    key: str | None = None,
    sheet_name: str = "plan",
) -> None:
    """CSV and XLSX download buttons for ``frame`` (``<file_stem>.csv`` / ``.xlsx``).

    Text cells that start with ``= + - @`` are prefixed with ``'`` so the spreadsheet shows
    them instead of running them (``stockcycle.export.safe_cells``).
    """
    key = key or f"download:{file_stem}"
    left, right, _ = st.columns([1, 1, 1])
    left.download_button(
        f"Download {label} (CSV)",
        data=to_csv_bytes(frame),
        file_name=f"{file_stem}.csv",
        mime="text/csv",
        key=f"{key}:csv",
        on_click="ignore",
        icon=":material/download:",
    )
    right.download_button(
        f"Download {label} (XLSX)",
        data=to_xlsx_bytes(frame, sheet_name=sheet_name),
        file_name=f"{file_stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}:xlsx",
        on_click="ignore",
        icon=":material/download:",
    )
