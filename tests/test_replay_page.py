"""The Replay page through AppTest on the hand-made one-product workspace (R-T4): the figures
it shows are ``replay.replay``'s on the same window and choices."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from streamlit.testing.v1 import AppTest
from test_replay import START, hand, hand_db  # noqa: F401 - fixtures

from stockcycle import replay

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGE = "pages/11_Replay.py"


def widget(items, label: str):
    found = [w for w in items if w.label == label]
    assert found, f"no widget {label!r}: {[w.label for w in items]}"
    return found[0]


def metrics(at: AppTest, label: str) -> list[str]:
    return [m.value for m in at.metric if m.label == label]


def test_replay_page_shows_the_library_figures(hand) -> None:  # noqa: F811 - fixture
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["workspace_path"] = str(hand.path)
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Run the replay" in i.value for i in at.info)
    end = START + timedelta(days=14)
    widget(at.date_input, "From").set_value(START)
    widget(at.date_input, "To").set_value(end)
    widget(at.slider, "Days-of-supply rule: days an order covers").set_value(30)
    widget(at.button, "Run the replay").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]

    expected = replay.replay(
        hand,
        start=START,
        end=end,
        service_level=0.95,
        target_days=30,
        rule=replay.DaysOfSupplyRule(7, 30, 30),
    )
    sc, dos = expected.main["stockcycle"].totals, expected.main["days-of-supply"].totals
    assert metrics(at, "Demand served") == [f"{sc['fill_rate']:.1%}", f"{dos['fill_rate']:.1%}"]
    assert metrics(at, "Average stock value") == [
        f"{sc['avg_inventory_value']:,.0f}",
        f"{dos['avg_inventory_value']:,.0f}",
    ]
    assert metrics(at, "Days out of stock (all products)") == [
        f"{sc['stockout_days']:,}",
        f"{dos['stockout_days']:,}",
    ]
    # The days-of-supply run is the hand-worked one cut at Feb 14: 100 units last 10 days,
    # then 4 days of 10 lost: 100 of 140 served.
    assert dos["fill_rate"] == 100 / 140 and dos["stockout_days"] == 4
    table = next(df.value for df in at.dataframe if "Demand served (%)" in df.value.columns)
    assert table["Product"].tolist() == ["HAND", "HAND"]
    assert table["Days out of stock"].tolist() == [sc["stockout_days"], dos["stockout_days"]]
    labels = [b.label for b in at.get("download_button")]
    assert "Download replay (CSV)" in labels and "Download replay (XLSX)" in labels
    assert widget(at.selectbox, "Product").value == "HAND"
    assert any(e.label.startswith("Explain: service against stock") for e in at.expander)
    # A rerun (choosing the product again) keeps the result without replaying.
    widget(at.selectbox, "Product").set_value("HAND").run()
    assert metrics(at, "Demand served")[1] == f"{dos['fill_rate']:.1%}"
