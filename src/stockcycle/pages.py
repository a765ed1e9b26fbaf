"""The app's pages in one list: file, title, icon, what each is for, the stages acted on there.

The sidebar, Home's "Go to" list and the Today page's "act on page" links all read this list
(``stockcycle.ui`` draws it; this module never imports streamlit, so ``stockcycle.today`` can
name the page of an action). A file in ``pages/`` that is not listed here still appears, after
the listed ones, with a plain icon: see docs/adding-a-page.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """One page of the app."""

    file: str  # path from the app folder, "pages/6_Growth.py" (its URL is the file's name)
    title: str  # the sidebar label and the page's title
    icon: str  # a Material icon, ":material/trending_up:"
    purpose: str  # one line for Home's "Go to" list
    stages: tuple[str, ...] = ()  # life-cycle stages whose products are acted on here


PAGES: tuple[Page, ...] = (
    Page("pages/0_Today.py", "Today", ":material/today:", "what to do today for every product"),
    Page("pages/1_Data.py", "Data", ":material/upload_file:", "import reports, enter costs"),
    Page("pages/2_Settings.py", "Settings", ":material/tune:", "service levels, fees, alerts"),
    Page("pages/3_Forecast.py", "Forecast", ":material/query_stats:", "sales forecasts"),
    Page(
        "pages/4_Life_cycle_stages.py",
        "Life-cycle stages",
        ":material/timeline:",
        "where each product is in its life",
    ),
    Page(
        "pages/5_Launch.py",
        "Launch",
        ":material/rocket_launch:",
        "size a new product's first order",
        ("launch",),
    ),
    Page(
        "pages/6_Growth.py",
        "Growth",
        ":material/trending_up:",
        "restock products that are taking off",
        ("growth",),
    ),
    Page(
        "pages/7_Maturity.py",
        "Maturity",
        ":material/balance:",
        "keep steady sellers lean inside Amazon's fee corridor",
        ("maturity",),
    ),
    Page(
        "pages/8_Decline.py",
        "Decline",
        ":material/trending_down:",
        "clear fading products at the best price",
        ("decline",),
    ),
    Page(
        "pages/9_Exit.py",
        "Exit",
        ":material/logout:",
        "when to stop and where the last units go",
        ("exit",),
    ),
    Page("pages/10_Alerts.py", "Alerts", ":material/notifications:", "alerts and the daily check"),
    Page(
        "pages/11_Replay.py",
        "Replay",
        ":material/history:",
        "what each reorder rule would have done on your history",
    ),
)
PAGE_BY_TITLE = {p.title: p for p in PAGES}
#: The icon of a page file that is not in ``PAGES``.
DEFAULT_ICON = ":material/description:"


def stage_page(stage: str | None) -> str | None:
    """The title of the page where a product in ``stage`` is planned (None: no such page)."""
    return next((p.title for p in PAGES if stage in p.stages), None)
