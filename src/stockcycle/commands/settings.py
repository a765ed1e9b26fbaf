"""Settings verb: ``stockcycle settings`` shows the workspace's settings and changes them with
the same checks as the Settings page (``Settings.from_dict``: type, bounds, ordered pairs)."""

from __future__ import annotations

import argparse
import json

from stockcycle.commands.data import add_workspace_arg, open_existing
from stockcycle.errors import InputError
from stockcycle.settings import Settings


def _assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise InputError(f"'{text}' is not NAME=VALUE", column="--set", expected="NAME=VALUE")
    return name.strip(), value.strip()


def _known(name: str, option: str) -> str:
    names = [f["name"] for f in Settings.field_info()]
    if name not in names:
        raise InputError(
            f"there is no setting '{name}'",
            column=option,
            expected="a name listed by 'stockcycle settings -w DIR'",
        )
    return name


def cmd_settings(args: argparse.Namespace) -> int:
    ws = open_existing(args.workspace)
    current = ws.settings().to_dict()
    changes = {_known(n, "--set"): v for n, v in map(_assignment, args.set)}
    defaults = Settings().to_dict()
    for name in args.reset:
        changes[_known(name, "--reset")] = defaults[name]
    if changes:
        # One check of the whole set, then one write: a bad value changes nothing.
        ws.save_settings(Settings.from_dict({**current, **changes}))
    settings = ws.settings().to_dict()
    rows = [
        {
            "name": f["name"],
            "value": settings[f["name"]],
            "default": f["default"],
            "changed": settings[f["name"]] != f["default"],
            "unit": f["unit"],
            "rule": f["rule"],
            "label": f["label"],
            "min": f["min"],
            "max": f["max"],
        }
        for f in Settings.field_info()
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for name in changes:
        print(f"set {name} = {settings[name]}")
    width = max(len(r["name"]) for r in rows)
    print(f"{'setting':<{width}}   {'value':>10}  {'default':>10}  what")
    for r in rows:
        mark = "*" if r["changed"] else " "
        unit = f" ({r['unit']})" if r["unit"] else ""
        value, default = str(r["value"]), str(r["default"])
        print(f"{r['name']:<{width}} {mark} {value:>10}  {default:>10}  {r['label']}{unit}")
    print("* changed from the default")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("settings", help="show or change a workspace's settings")
    add_workspace_arg(p)
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change a setting (checked as on the Settings page); repeatable",
    )
    p.add_argument(
        "--reset", action="append", default=[], metavar="NAME", help="back to the default"
    )
    p.add_argument("--json", action="store_true", help="print every setting as JSON")
    p.set_defaults(handler=cmd_settings)
