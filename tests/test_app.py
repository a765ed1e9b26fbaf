"""The app through Streamlit's AppTest: Home, every page, Data import, Settings, shared mode.

Each test drives the app the way a seller would (widgets, buttons) and checks what the seller
would check: the message on screen and what landed in the workspace.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from stockcycle import datadate
from stockcycle.errors import InputError
from stockcycle.lifecycle import SIGNAL_COLUMNS
from stockcycle.settings import Settings
from stockcycle.store import DB_FILE, Workspace, list_workspaces
from stockcycle.ui.shared import restore_workspace, shared_mode, workspace_bytes

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGES = sorted(p.name for p in (ROOT / "pages").glob("*.py"))
TIMEOUT = 60

# A generic sales table (SPEC "Data the seller brings"), small enough to total by hand:
# A-1 sells 3 + 5 = 8 units, B-2 sells 2.
GOOD_SALES = (
    b"date,sku,units,revenue,price\n"
    b"2026-01-01,A-1,3,30.00,10.00\n"
    b"2026-01-02,A-1,5,50.00,10.00\n"
    b"2026-01-01,B-2,2,40.00,20.00\n"
)
# Same columns, but a quantity that is not a number on spreadsheet row 3.
BAD_SALES = (
    b"date,sku,units,revenue,price\n2026-01-01,A-1,3,30.00,10.00\n2026-01-02,A-1,abc,50.00,10.00\n"
)
# Headers no format knows: needs the mapping step.
ODD_SALES = b"Day,Item,Qty\n2026-02-01,C-3,4\n2026-02-02,C-3,6\n"


def new_app(workspace: Workspace | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if workspace is not None:
        at.session_state["workspace_path"] = str(workspace.path)
    return at


def texts(at: AppTest) -> str:
    """Everything written on the page, for 'is this on screen' checks."""
    parts = [
        e.value
        for kind in (
            "markdown",
            "caption",
            "info",
            "success",
            "warning",
            "error",
            "title",
            "subheader",
        )
        for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


def metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r} on the page"
    return values[0]


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


# -- Home --------------------------------------------------------------------------------------
def test_home_without_workspace_offers_open_create_and_sample() -> None:
    at = new_app().run()
    no_exception(at)
    assert at.title[0].value == "stockcycle"
    labels = [b.label for b in at.button]
    assert "Create" in labels and "Load sample workspace" in labels
    assert "No workspaces yet" in texts(at)
    assert "No workspace open" in "\n".join(c.value for c in at.sidebar.caption)


def test_create_workspace_then_reopen_it_from_the_list(home: Path) -> None:
    at = new_app().run()
    at.text_input(key="home_new_name").set_value("my-brand")
    at.button(key="home_create").click().run()
    no_exception(at)
    assert list_workspaces() == ["my-brand"]
    assert Path(at.session_state["workspace_path"]) == home / "workspaces" / "my-brand"
    assert "Created workspace “my-brand”" in texts(at)
    assert "This workspace is empty" in texts(at)

    second = new_app().run()  # another browser session: lists it, opens it
    assert second.selectbox(key="home_open_name").options == ["my-brand"]
    second.button(key="home_open").click().run()
    assert second.session_state["workspace_path"] == at.session_state["workspace_path"]


def test_create_workspace_with_unusable_name_shows_error() -> None:
    at = new_app().run()
    at.text_input(key="home_new_name").set_value("../escape")
    at.button(key="home_create").click().run()
    no_exception(at)
    assert at.error and "not a usable workspace name" in at.error[0].value
    assert list_workspaces() == []
    assert "workspace_path" not in at.session_state


@pytest.mark.parametrize("page", PAGES)
def test_page_without_workspace_points_to_home(page: str) -> None:
    at = new_app()
    at.switch_page(f"pages/{page}").run()
    no_exception(at)
    assert "Open or create a workspace on Home first" in texts(at)
    assert any(link.label == "Go to Home" for link in at.main.get("page_link"))


# -- with the sample workspace ------------------------------------------------------------------
def _manifest() -> dict:
    from stockcycle.sample import SAMPLE_DIR

    return json.loads((SAMPLE_DIR / "manifest.json").read_text(encoding="utf-8"))


@pytest.mark.usefixtures("sample_db")
def test_load_sample_workspace_button_shows_what_is_loaded(home: Path) -> None:
    at = new_app().run()
    at.button(key="home_sample").click().run(timeout=180)
    no_exception(at)
    assert list_workspaces() == ["sample"]
    # The count the seller reads equals the SKUs the sample generator wrote.
    assert metric(at, "SKUs") == f"{len(_manifest()['skus']):,}"
    sales = Workspace.named("sample", create=False).read("sales")
    first, last = sales["date"].min(), sales["date"].max()
    assert metric(at, "Days of sales history") == f"{(last - first).days + 1:,}"
    assert f"Sales from **{first:%Y-%m-%d}** to **{last:%Y-%m-%d}**" in texts(at)
    assert "Sample workspace loaded" in texts(at)
    # Loading it again gives a fresh copy: nothing doubled, the import log and the
    # "Files imported" card show the sample's files once, and changes made since are gone.
    ws = Workspace.named("sample", create=False)
    rows = ws.row_counts()
    ws.set_override("NW-APRON", "stage", "maturity")
    at.button(key="home_sample").click().run(timeout=180)
    no_exception(at)
    assert ws.row_counts() == rows
    assert len(ws.imports()) == len(_manifest()["files"])
    assert metric(at, "Files imported") == str(len(_manifest()["files"]))
    assert ws.overrides() == {}


@pytest.mark.parametrize("page", ["app.py", *PAGES])
def test_every_page_opens_with_the_sample_workspace(page: str, sample_workspace) -> None:
    at = new_app(sample_workspace)
    if page != "app.py":
        at.switch_page(f"pages/{page}")
    at.run(timeout=300)
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert "Open or create a workspace on Home first" not in texts(at)


def test_home_summary_lists_sources_and_problems(sample_workspace) -> None:
    at = new_app(sample_workspace).run()
    no_exception(at)
    info = sample_workspace.info()
    sources = next(df.value for df in at.dataframe if "Recognised as" in df.value.columns)
    assert sorted(sources["File"]) == sorted(s["file"] for s in info["sources"])
    if info["problems"]:
        assert f"{len(info['problems'])} data problem" in texts(at)
    else:
        assert "No data problems found" in texts(at)
    # The sample's neutral notes (sponsored rows kept, cancelled lines left out) are listed
    # apart from the problems and never counted as problems.
    assert info["notes"], "the sample has neutral import notes"
    notes_box = next(e for e in at.expander if e.label.startswith("Import notes"))
    assert notes_box.label.startswith(f"Import notes ({len(info['notes'])})")
    assert all(n in notes_box.markdown[0].value for n in info["notes"])
    assert not any(n in w.value for w in at.warning for n in info["notes"])
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")


def test_home_shows_problems_as_a_warning_and_notes_apart(sample_workspace, monkeypatch) -> None:
    # What Workspace.info() reports after an import with two real problems and three neutral
    # notes: only the problems are counted in the warning.
    real_info = Workspace.info
    problems = [
        "orders.txt: 5 duplicated order lines dropped (first at row 931)",
        "orders.txt: 2 dates could not be read; those rows were left out",
    ]
    notes = [
        "xray.csv: 3 sponsored rows kept and marked sponsored",
        "orders.txt: 88 cancelled order lines are not counted as demand",
        "cerebro.csv: 9 competing-product counts are capped",
    ]

    def info(self: Workspace) -> dict:
        return {**real_info(self), "problems": problems, "notes": notes}

    monkeypatch.setattr(Workspace, "info", info)
    at = new_app(sample_workspace).run()
    no_exception(at)
    assert [w.value for w in at.warning if "data problem" in w.value] == [
        w.value for w in at.warning
    ]
    assert len(at.warning) == 1 and at.warning[0].value.startswith("2 data problems found")
    labels = {e.label: e for e in at.expander}
    assert "\n".join(m.value for m in labels["Data problems"].markdown) == "\n".join(
        f"- {p}" for p in problems
    )
    notes_box = next(e for label, e in labels.items() if label.startswith("Import notes (3)"))
    assert all(n in notes_box.markdown[0].value for n in notes)
    assert not any(n in at.warning[0].value for n in notes)


def test_home_with_notes_only_reports_no_problems(sample_workspace, monkeypatch) -> None:
    real_info = Workspace.info
    monkeypatch.setattr(
        Workspace,
        "info",
        lambda self: {
            **real_info(self),
            "problems": [],
            "notes": ["xray.csv: 3 sponsored rows kept"],
        },
    )
    at = new_app(sample_workspace).run()
    no_exception(at)
    assert not at.warning
    assert "No data problems found in the imported files." in texts(at)
    assert any(e.label.startswith("Import notes (1)") for e in at.expander)


# -- Data page ----------------------------------------------------------------------------------
def data_page(ws: Workspace) -> AppTest:
    at = new_app(ws)
    at.switch_page("pages/1_Data.py").run()
    no_exception(at)
    return at


def upload(at: AppTest, *files: tuple[str, bytes]) -> AppTest:
    at.file_uploader[0].set_value([(name, data, "text/csv") for name, data in files])
    return at.run()


def import_button(at: AppTest):
    return at.button(key="data_import")


def test_data_upload_good_file_then_import(home: Path) -> None:
    ws = Workspace.named("shop")
    at = upload(data_page(ws), ("sales.csv", GOOD_SALES))
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert "**sales.csv** — recognised as" in texts(at)
    assert ws.row_counts()["sales"] == 0  # nothing is written before "Import"

    import_button(at).click().run()
    no_exception(at)
    sales = ws.read("sales")
    assert sales.groupby("sku")["units"].sum().to_dict() == {"A-1": 8.0, "B-2": 2.0}
    assert "Imported 1 file" in texts(at)
    assert list(ws.imports()["file_name"]) == ["sales.csv"]
    assert "sales.csv" in at.dataframe[-1].value["File"].tolist()  # the import log
    # The preview shows the sales table and offers it as CSV.
    assert at.selectbox(key="data_preview_table").value == "sales"
    assert len(at.dataframe[-2].value) == 3
    assert at.download_button(key="data_download").label == "Download sales.csv"
    # The product editor lists the new SKUs, and says what their blank costs hide.
    editor = next(d for d in at.dataframe if d.key == "product_editor_grid")
    assert editor.value["sku"].tolist() == ["A-1", "B-2"]
    assert "Cash needed and margins unknown for 2 SKUs: no unit cost." in texts(at)


def test_data_bad_file_shows_error_and_workspace_is_unchanged(home: Path) -> None:
    ws = Workspace.named("shop")
    at = upload(data_page(ws), ("broken_sales.csv", BAD_SALES))
    no_exception(at)
    assert at.error, "a bad file must show an error"
    message = at.error[0].value
    assert "broken_sales.csv" in message and "row 3" in message and "units" in message
    assert import_button(at).disabled
    assert ws.row_counts() == {t: 0 for t in ws.row_counts()}
    assert ws.imports().empty


def test_data_one_bad_file_does_not_stop_the_good_one(home: Path) -> None:
    ws = Workspace.named("shop")
    at = upload(data_page(ws), ("sales.csv", GOOD_SALES), ("broken_sales.csv", BAD_SALES))
    assert len(at.error) == 1 and "broken_sales.csv" in at.error[0].value
    import_button(at).click().run()
    no_exception(at)
    assert ws.read("sales")["units"].sum() == 10.0
    assert list(ws.imports()["file_name"]) == ["sales.csv"]
    # The bad file stays on the list with its error, for the seller to fix and upload again.
    assert len(at.error) == 1 and "broken_sales.csv" in at.error[0].value


def test_data_unknown_headers_go_through_the_mapping_step(home: Path) -> None:
    ws = Workspace.named("shop")
    at = upload(data_page(ws), ("odd.csv", ODD_SALES))
    no_exception(at)
    assert at.error and "odd.csv" in at.error[0].value
    entry_id = next(iter(at.session_state["data_pending"]))
    at.selectbox(key=f"map_target_{entry_id}").set_value("sales").run()
    for column, source in {"date": "Day", "sku": "Item", "units": "Qty"}.items():
        at.selectbox(key=f"map_{entry_id}_sales_{column}").set_value(source)
    at.button(key=f"map_apply_{entry_id}").click().run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    import_button(at).click().run()
    assert ws.read("sales").set_index("date")["units"].to_dict() == {
        pd.Timestamp("2026-02-01"): 4.0,
        pd.Timestamp("2026-02-02"): 6.0,
    }


def test_data_snapshot_without_date_takes_the_as_of_date(home: Path) -> None:
    ws = Workspace.named("shop")
    at = upload(data_page(ws), ("stock.csv", b"sku,available\nA-1,40\n"))
    no_exception(at)
    entry_id = next(iter(at.session_state["data_pending"]))
    as_of = at.date_input(key=f"asof_{entry_id}")
    assert as_of.value == datadate.today()  # the app's today (fixed by the tests)
    as_of.set_value(date(2026, 3, 15)).run()
    import_button(at).click().run()
    inventory = ws.read("inventory")
    assert inventory["snapshot_date"].tolist() == [pd.Timestamp("2026-03-15")]
    assert inventory["available"].tolist() == [40.0]


def _sample_file(name: str) -> bytes:
    from stockcycle.sample import SAMPLE_DIR

    return (SAMPLE_DIR / name).read_bytes()


XRAY = "Xray_silicone-baking-mat_2026-10-31.csv"
BUSINESS_REPORT = "BusinessReport_2026-10-02_2026-10-31.csv"


def test_data_xray_needs_the_search_it_was_taken_on(home: Path) -> None:
    ws = Workspace.named("shop")
    at = upload(data_page(ws), (XRAY, _sample_file(XRAY)))
    no_exception(at)
    entry_id = next(iter(at.session_state["data_pending"]))
    search = at.text_input(key=f"search_{entry_id}")
    assert search.value == ""  # never a made-up name: the seller says which search it was
    assert "required" in search.label
    # The importer's own message stays on screen, as a request rather than a broken-file
    # error, and nothing can be imported until then.
    assert not at.error, [e.value for e in at.error]
    assert len(at.warning) == 1
    assert XRAY in at.warning[0].value and "search" in at.warning[0].value
    assert import_button(at).disabled

    search.set_value("silicone baking mat").run()
    no_exception(at)
    assert not at.error and not at.warning, [e.value for e in [*at.error, *at.warning]]
    at.date_input(key=f"asof_{entry_id}").set_value(date(2026, 10, 31)).run()
    import_button(at).click().run()
    no_exception(at)
    competitors = ws.read("competitors")
    lines = _sample_file(XRAY).decode("utf-8-sig").strip().splitlines()
    assert len(competitors) == len(lines) - 1  # one row per listing, sponsored ones kept
    assert set(competitors["search"]) == {"silicone baking mat"}
    assert set(competitors["snapshot_date"]) == {pd.Timestamp("2026-10-31")}


def test_data_business_report_without_dates_takes_its_period(home: Path) -> None:
    ws = Workspace.named("shop")
    at = upload(data_page(ws), (BUSINESS_REPORT, _sample_file(BUSINESS_REPORT)))
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    entry_id = next(iter(at.session_state["data_pending"]))
    period = at.date_input(key=f"period_{entry_id}")
    start, end = period.value
    assert (end - start).days == 29  # a 30-day report by default, as Seller Central gives
    assert not [d for d in at.date_input if d.key == f"asof_{entry_id}"]  # the period is enough

    period.set_value((date(2026, 10, 2), date(2026, 10, 31))).run()
    no_exception(at)
    import_button(at).click().run()
    no_exception(at)
    traffic = ws.read("traffic")
    assert len(traffic) == len(_sample_file(BUSINESS_REPORT).decode().strip().splitlines()) - 1
    assert set(traffic["period_start"]) == {pd.Timestamp("2026-10-02")}
    assert set(traffic["period_end"]) == {pd.Timestamp("2026-10-31")}


def test_data_unexpected_parser_fault_stays_with_its_file(home: Path, monkeypatch, caplog) -> None:
    # A fault of ours while reading one file (not a bad input) must not take the page down
    # or stop the other files: one line on screen, the traceback in the server log.
    import stockcycle.ingest as ingest

    real = ingest.parse_file

    def parse_file(source, file_name=None, **kwargs):
        if file_name == "odd_bug.csv":
            raise ZeroDivisionError("division by zero")
        return real(source, file_name, **kwargs)

    monkeypatch.setattr(ingest, "parse_file", parse_file)
    ws = Workspace.named("shop")
    at = upload(data_page(ws), ("sales.csv", GOOD_SALES), ("odd_bug.csv", GOOD_SALES))
    no_exception(at)
    assert len(at.error) == 1
    assert at.error[0].value.startswith("odd_bug.csv: Something went wrong: division by zero")
    assert "Traceback" not in at.error[0].value
    assert any(r.exc_info and r.exc_info[0] is ZeroDivisionError for r in caplog.records)
    import_button(at).click().run()
    no_exception(at)
    assert list(ws.imports()["file_name"]) == ["sales.csv"]


def test_page_fault_is_one_line_not_a_traceback(monkeypatch) -> None:
    ws = Workspace.named("shop")

    def broken(self):
        raise RuntimeError("settings table is locked")

    monkeypatch.setattr(Workspace, "settings", broken)
    at = settings_page(ws)
    no_exception(at)
    assert [e.value for e in at.error] == [
        "Something went wrong: settings table is locked. The details are in the server log."
    ]


# -- Settings page ------------------------------------------------------------------------------
def settings_page(ws: Workspace) -> AppTest:
    at = new_app(ws)
    at.switch_page("pages/2_Settings.py").run()
    no_exception(at)
    return at


def setting_input(at: AppTest, label: str):
    found = [w for w in at.number_input if w.label.startswith(label)]
    assert len(found) == 1, f"expected one input labelled {label!r}"
    return found[0]


def save(at: AppTest) -> AppTest:
    return next(b for b in at.button if b.label == "Save settings").click().run()


def test_settings_form_covers_every_setting_with_rule_help() -> None:
    at = settings_page(Workspace.named("shop"))
    numeric = [i for i in Settings.field_info() if isinstance(i["default"], int | float)]
    assert len(at.number_input) == len(numeric)
    cover = setting_input(at, "Days of sales the first order covers")
    assert cover.value == Settings().launch_cover_days
    assert "R-L3" in cover.help
    assert [t.label for t in at.tabs][0].startswith("Launch")


def test_settings_change_persists_in_the_workspace() -> None:
    ws = Workspace.named("shop")
    at = settings_page(ws)
    setting_input(at, "Days of sales the first order covers").set_value(45)
    setting_input(at, "Target stockout probability").set_value(0.02)
    at = save(at)
    no_exception(at)
    assert "Settings saved." in texts(at)
    assert ws.settings().launch_cover_days == 45
    assert ws.settings().stockout_probability == pytest.approx(0.02)

    reopened = settings_page(ws)  # a new browser session reads what was saved
    assert setting_input(reopened, "Days of sales the first order covers").value == 45
    assert "differ from the defaults" in texts(reopened)

    next(b for b in reopened.button if b.label == "Reset to defaults").click().run()
    assert ws.settings() == Settings()
    assert setting_input(reopened, "Days of sales the first order covers").value == 30


def test_settings_page_says_which_settings_are_used_and_where() -> None:
    from stockcycle.ui.settings_form import USED_BY

    at = settings_page(Workspace.named("shop"))
    assert "used by every page" not in texts(at)
    captions = [c.value for c in at.caption]
    assert "Only some settings are used yet" in "\n".join(captions)
    drop = setting_input(at, "Week-over-week sales drop that signals decline")
    assert "Life-cycle stages page" in drop.help
    cover = setting_input(at, "Days of sales the first order covers")
    assert "Launch page" in cover.help
    unused = setting_input(at, "Air freight transit, short end")  # no page reads it yet
    assert "Not used by any page yet" in unused.help
    # Every tab says what it holds: the Decline tab names its used settings.
    decline_tab = next(t for t in at.tabs if t.label.startswith("Decline"))
    assert any(
        c.value.startswith("Used today:") and "Life-cycle stages page" in c.value
        for c in decline_tab.caption
    )
    # The Automation settings are read by the daily check and the Alerts page (R-A1, R-A4).
    automation_tab = next(t for t in at.tabs if t.label.startswith("Automation"))
    assert any(
        c.value.startswith("Used today:") and "stockcycle check" in c.value
        for c in automation_tab.caption
    )
    assert set(USED_BY) <= {i["name"] for i in Settings.field_info()}


def _settings_read_in_code() -> set[str]:
    """Names of settings read as attributes of a settings object (``settings.x``, or ``s.x``
    where the code calls it ``s``) anywhere outside settings.py and the Settings page itself;
    a docstring's ``Settings.x`` or a result's ``self.x`` of the same name is not a read."""
    import re

    names = {i["name"] for i in Settings.field_info()}
    files = [*(ROOT / "src" / "stockcycle").rglob("*.py"), *(ROOT / "pages").glob("*.py")]
    skip = {"settings.py", "settings_form.py"}
    found = set()
    for f in files:
        if f.name in skip:
            continue
        text = f.read_text(encoding="utf-8")
        found |= {n for n in names if re.search(rf"(?:(?<![\w.])s|(?<!\w)settings)\.{n}\b", text)}
    return found


def test_settings_usage_table_matches_the_code() -> None:
    # The Settings page must neither claim a setting is used when no code reads it, nor call
    # one unused that a page already reads.
    from stockcycle.ui.settings_form import USED_BY

    assert set(USED_BY) == _settings_read_in_code()


def test_settings_inputs_carry_the_bounds_of_each_setting() -> None:
    at = settings_page(Workspace.named("shop"))
    cover = setting_input(at, "Days of sales the first order covers")
    info = next(i for i in Settings.field_info() if i["name"] == "launch_cover_days")
    assert (cover.min, cover.max) == (info["min"], info["max"])


def test_settings_invalid_value_shows_error_and_keeps_the_stored_one() -> None:
    ws = Workspace.named("shop")
    at = settings_page(ws)
    # Each value is within its own bounds, but the short end of the lead time (R-L4) is now
    # above the long end (60 days by default).
    setting_input(at, "Supplier lead time, short end").set_value(70)
    at = save(at)
    no_exception(at)
    assert at.error, "an inconsistent setting must show an error"
    assert "lead_time_min_days" in at.error[0].value and "lead_time_max_days" in at.error[0].value
    assert "Settings saved." not in texts(at)
    assert ws.settings() == Settings()


# -- Life-cycle stages page ---------------------------------------------------------------------
def test_stages_page_explains_with_the_workspace_settings_and_keeps_an_override(
    sample_workspace,
) -> None:
    sample_workspace.save_settings(Settings(decline_weekly_drop=0.2, decline_consecutive_weeks=3))
    at = new_app(sample_workspace)
    at.switch_page("pages/4_Life_cycle_stages.py").run(timeout=300)
    no_exception(at)
    table = next(df.value for df in at.dataframe if "reason" in df.value.columns)
    # The five counts on top add up to the SKUs in the table.
    assert sum(int(m.value) for m in at.metric) == len(table)
    explain = next(e for e in at.expander if e.label == "Explain")
    text = explain.markdown[0].value
    # The seller's decline setting, not the default, and the holiday season the code uses.
    assert "down 20% or more over 8 weeks" in text and "3 weeks in a row" in text
    assert "15%" not in text
    assert "1 October to 15 January" in text

    sku = at.selectbox(key="stages_sku").value
    # The signals box agrees with the table (which shows shares as percentages).
    signals = next(df.value for df in at.dataframe if "Signal" in df.value.columns)
    shown = signals.set_index("Signal")["Value"]
    share = table.set_index("sku").loc[sku, "share_of_peak"]
    assert shown["Share of peak"] == f"{share:.0f}%"
    assert len(signals) == len(SIGNAL_COLUMNS)
    at.selectbox(key=f"stage_override_{sku}").set_value("exit").run(timeout=300)
    no_exception(at)
    assert sample_workspace.overrides("stage")[sku] == {"stage": "exit"}
    table = next(df.value for df in at.dataframe if "reason" in df.value.columns)
    row = table.set_index("sku").loc[sku]
    assert row["stage"] == "exit" and bool(row["overridden"])
    assert row["reason"].startswith("Set by you")


# -- shared deployment --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("env", "secrets", "expected"),
    [
        ({}, None, False),
        ({"STOCKCYCLE_SHARED": "1"}, None, True),
        ({"STOCKCYCLE_SHARED": "true"}, {}, True),
        ({"STOCKCYCLE_SHARED": "0"}, None, False),
        ({"STOCKCYCLE_SHARED": ""}, {"stockcycle": {"shared": True}}, True),
        ({}, {"stockcycle": {"shared": "false"}}, False),
        ({}, {"stockcycle": "shared"}, False),
        ({}, {"other": {"shared": True}}, False),
    ],
)
def test_shared_mode_from_env_or_secrets(env, secrets, expected) -> None:
    assert shared_mode(env, secrets) is expected


def test_shared_mode_from_secrets_file_in_the_app() -> None:
    at = new_app()
    at.secrets["stockcycle"] = {"shared": True}
    at.run()
    no_exception(at)
    assert "This is a shared server" in texts(at)
    assert not at.selectbox  # no list of workspaces


def test_restore_rejects_files_that_are_not_workspaces(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a stockcycle workspace"):
        restore_workspace(b"date,sku\n", "notes.sqlite", tmp_path / "a")
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE t (x)")
    with pytest.raises(InputError, match="other.sqlite"):
        restore_workspace(other.read_bytes(), "other.sqlite", tmp_path / "b")
    assert not (tmp_path / "b" / DB_FILE).exists()


def test_download_then_restore_gives_the_same_workspace(tmp_path: Path) -> None:
    ws = Workspace.named("shop")
    ws.save_settings(Settings(launch_cover_days=40))
    restored = restore_workspace(workspace_bytes(ws.db_path), "shop.sqlite", tmp_path / "r")
    assert Workspace.open(restored.parent, create=False).settings().launch_cover_days == 40


@pytest.mark.usefixtures("sample_db")
def test_shared_sessions_never_see_each_other(home: Path, monkeypatch) -> None:
    monkeypatch.setenv("STOCKCYCLE_SHARED", "1")
    first = new_app().run()
    first.button(key="home_sample").click().run(timeout=180)
    no_exception(first)
    first_path = Path(first.session_state["workspace_path"])
    assert metric(first, "SKUs") == f"{len(_manifest()['skus']):,}"
    # Not in the data directory, where a local session would list it.
    assert home not in first_path.parents and list_workspaces() == []
    assert first.download_button(key="home_download").label == "Download workspace"

    second = new_app().run()
    no_exception(second)
    assert "workspace_path" not in second.session_state
    assert not second.selectbox, "a shared session must not list any workspace"
    assert str(first_path) not in texts(second) and "SKUs" not in [m.label for m in second.metric]
    second.switch_page("pages/1_Data.py").run()
    assert "Open or create a workspace on Home first" in texts(second)

    # The second visitor's own empty workspace is a different, empty folder.
    second.switch_page("app.py").run()
    second.button(key="home_start").click().run()
    second_path = Path(second.session_state["workspace_path"])
    assert second_path != first_path and second_path.parent != first_path.parent
    assert Workspace(second_path).row_counts()["sales"] == 0


def test_shared_restore_opens_the_uploaded_workspace(monkeypatch) -> None:
    monkeypatch.setenv("STOCKCYCLE_SHARED", "1")
    original = Workspace.named("elsewhere")
    original.save_settings(Settings(launch_cover_days=50))
    at = new_app().run()
    at.file_uploader(key="home_restore_file").set_value(
        ("mine.sqlite", workspace_bytes(original.db_path), "application/octet-stream")
    ).run()
    at.button(key="home_restore").click().run()
    no_exception(at)
    restored = Workspace(at.session_state["workspace_path"])
    assert restored.path != original.path and restored.name == "mine"
    assert restored.settings().launch_cover_days == 50

    bad = new_app().run()
    bad.file_uploader(key="home_restore_file").set_value(
        ("notes.sqlite", b"just text", "application/octet-stream")
    ).run()
    bad.button(key="home_restore").click().run()
    assert bad.error and "notes.sqlite" in bad.error[0].value
    assert "workspace_path" not in bad.session_state


# -- charts -------------------------------------------------------------------------------------
def test_daily_units_sums_skus_and_channels_and_fills_gaps_with_zero() -> None:
    from stockcycle import charts

    sales = pd.DataFrame(
        {
            "date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-01", "2026-01-04"]),
            "sku": ["A", "A", "B", "A"],
            "channel": ["Amazon.com", "Walmart", "Amazon.com", "Amazon.com"],
            "units": [2.0, 1.0, 4.0, 5.0],
        }
    )
    daily = charts.daily_units_frame(sales)
    # 1 Jan: 2 + 1 + 4; nothing sold on 2 and 3 Jan; 4 Jan: 5.
    assert daily["units"].tolist() == [7.0, 0.0, 0.0, 5.0]
    assert daily["date"].dt.strftime("%m-%d").tolist() == ["01-01", "01-02", "01-03", "01-04"]
    spec = charts.daily_units_chart(daily).to_dict()
    assert spec["mark"]["type"] == "line"
    assert spec["encoding"]["x"]["field"] == "date" and spec["encoding"]["y"]["field"] == "units"
    assert charts.daily_units_frame(sales.iloc[0:0]).empty
