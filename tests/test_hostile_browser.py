"""A shared server under an XLSX bomb (issue 12): one visitor uploads a workbook whose shared
strings expand to 300 MB; the Data page refuses it with a message naming the file, and a
second visitor's Home page still opens at once. Also: a file name carrying a Markdown link is
shown as text, never as a link, in the real browser.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_browser import (  # noqa: F401 - pytest fixtures
    STEP_MS,
    browser,
    chromium,
    serve_app,
    settle,
)
from test_ingest_limits import MB, _shared_strings, _write_xlsx

pytestmark = pytest.mark.browser

# A file name cannot hold '/': a mailto link is a link all the same.
LINK_NAME = "[session expired, sign in](mailto:help@evil.example).csv"
SECOND_VISITOR_S = 15  # Home for another visitor while the bomb is being refused


@pytest.fixture(scope="module")
def shared_server(
    chromium: Path,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """The app in shared mode (``test_browser.serve_app`` with STOCKCYCLE_SHARED on)."""
    yield from serve_app(tmp_path_factory, {"STOCKCYCLE_SHARED": "1"})


def test_shared_server_refuses_a_bomb_and_serves_another_visitor(
    shared_server: str,
    browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    bomb = _write_xlsx(
        tmp_path / "bomb.xlsx", {"xl/sharedStrings.xml": lambda: _shared_strings(300 * MB)}
    )
    link_file = tmp_path / LINK_NAME
    # The bad cell quoted in the message is a web link and a bare address, also escaped.
    link_file.write_text(
        "date,sku,units\n2026-10-30,A,[sign in](https://evil.example/a) www.evil.example\n",
        encoding="utf-8",
    )
    first = browser.new_context(viewport={"width": 1400, "height": 2000})
    second = browser.new_context(viewport={"width": 1400, "height": 1200})
    try:
        page = first.new_page()
        page.goto(shared_server)
        settle(page)
        page.get_by_role("button", name="Start").click()
        settle(page)
        # By the sidebar link: a reload would be a new session, without the workspace.
        page.get_by_test_id("stSidebar").get_by_role("link", name="Data").click()
        settle(page)
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
            [str(bomb), str(link_file)]
        )
        # The second visitor opens Home while the first upload is being read.
        other = second.new_page()
        start = time.monotonic()
        other.goto(shared_server)
        other.get_by_text("Plan inventory for your Amazon products").wait_for(
            timeout=SECOND_VISITOR_S * 1000
        )
        assert time.monotonic() - start < SECOND_VISITOR_S
        page.get_by_text("expands to").first.wait_for(timeout=STEP_MS)
        settle(page)
        alerts = page.locator("[data-testid='stAlertContentError']").all_inner_texts()
        bomb_error = next(a for a in alerts if "bomb.xlsx" in a)
        assert "expands to" in bomb_error and "MB" in bomb_error
        # The Markdown file name: its text on screen, and no link to the address.
        # On screen as written (an invisible word joiner after '@' aside: see ui.plain).
        alerts = [a.replace("\u2060", "") for a in alerts]
        link_error = next(a for a in alerts if "session expired" in a)
        assert LINK_NAME + ", row 2" in link_error  # after the icon's name ('error')
        assert "row 2" in link_error and "column 'units'" in link_error
        assert "'[sign in](https://evil.example/a) www.evil.example' is not a number" in link_error
        links = page.locator("a[href*='evil.example']")
        assert links.count() == 0, [
            links.nth(i).evaluate("e => e.parentElement.outerHTML") for i in range(links.count())
        ]
    finally:
        first.close()
        second.close()
