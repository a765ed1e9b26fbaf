"""``stockcycle settings``: read and change a workspace's settings with the Settings page's
checks (type, bounds, ordered pairs); a refused change changes nothing."""

from __future__ import annotations

import json

from stockcycle.cli import main
from stockcycle.settings import Settings
from stockcycle.store import Workspace


def test_settings_are_listed_changed_and_reset(tmp_path, capsys) -> None:
    ws = Workspace.open(tmp_path / "w")
    assert main(["settings", "-w", str(ws.path), "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == {f["name"] for f in Settings.field_info()}
    assert rows["lead_time_min_days"]["value"] == 30 and not rows["lead_time_min_days"]["changed"]

    assert main(["settings", "-w", str(ws.path), "--set", "lead_time_min_days=40"]) == 0
    assert "set lead_time_min_days = 40" in capsys.readouterr().out
    assert ws.settings().lead_time_min_days == 40

    assert main(["settings", "-w", str(ws.path), "--reset", "lead_time_min_days"]) == 0
    assert ws.settings().lead_time_min_days == 30


def test_bad_changes_are_refused_and_change_nothing(tmp_path, capsys) -> None:
    ws = Workspace.open(tmp_path / "w")
    w = str(ws.path)
    bad = [
        (["--set", "no_such_setting=1"], "there is no setting 'no_such_setting'"),
        (["--set", "launch_cover_days=0"], "between 1 and 365"),
        (["--set", "launch_cover_days=3.5"], "a whole number"),
        # Each end within its bounds, the pair out of order (the page refuses it too).
        (["--set", "lead_time_min_days=50", "--set", "lead_time_max_days=40"], "at most"),
        (["--set", "launch_lift"], "NAME=VALUE"),
    ]
    for argv, message in bad:
        capsys.readouterr()
        assert main(["settings", "-w", w, *argv]) == 2, argv
        assert message in capsys.readouterr().err, argv
    assert ws.settings() == Settings()
