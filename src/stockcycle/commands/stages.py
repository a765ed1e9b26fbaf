"""Stage verb: ``stockcycle stages`` prints (and lets the seller pin) each SKU's life-cycle
stage with its reason (R-S1)."""

from __future__ import annotations

import argparse
import json

from stockcycle.commands.data import add_as_of_arg, add_workspace_arg, as_of_arg, open_existing
from stockcycle.errors import InputError


def _split_assignment(text: str) -> tuple[str, str]:
    sku, sep, stage = text.rpartition("=")
    if not sep or not sku.strip() or not stage.strip():
        raise InputError(f"--set '{text}' is not SKU=STAGE", expected="e.g. --set MAT-01=decline")
    return sku.strip(), stage.strip()


def cmd_stages(args: argparse.Namespace) -> int:
    from stockcycle.lifecycle import check_stage, classify_workspace, set_stage_override

    ws = open_existing(args.workspace)
    # Check every change before writing any, so a typo leaves the workspace as it was.
    changes = [(sku, check_stage(stage)) for sku, stage in map(_split_assignment, args.set)]
    known = set(ws.skus())
    for sku in [s for s, _ in changes] + list(args.clear):
        if sku not in known:
            raise InputError(
                f"SKU '{sku}' is not in this workspace",
                column="sku",
                expected="a SKU listed by 'stockcycle stages'",
            )
    for sku, stage in changes:
        set_stage_override(ws, sku, stage)
    for sku in args.clear:
        set_stage_override(ws, sku, None)
    table = classify_workspace(ws, as_of=as_of_arg(args))
    if args.json:
        out = [
            {
                "sku": r.sku,
                "stage": r.stage,
                "reason": r.reason,
                "auto_stage": r.auto_stage,
                "overridden": bool(r.overridden),
            }
            for r in table.itertuples(index=False)
        ]
        print(json.dumps(out, indent=2))
        return 0
    width = max([len("SKU"), *(len(s) for s in table["sku"])])
    print(f"{'SKU':<{width}}  {'stage':<9} reason")
    for r in table.itertuples(index=False):
        mark = "*" if r.overridden else " "
        print(f"{r.sku:<{width}}  {r.stage:<8}{mark} {r.reason}")
    if table["overridden"].any():
        print("* set by you; clear with --clear SKU")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stages", help="life-cycle stage of every SKU, with the reason")
    add_workspace_arg(p)
    p.add_argument("--json", action="store_true", help="print sku, stage, reason as JSON")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SKU=STAGE",
        help="pin a SKU to a stage (launch, growth, maturity, decline, exit); repeatable",
    )
    p.add_argument(
        "--clear",
        action="append",
        default=[],
        metavar="SKU",
        help="remove a pinned stage; repeatable",
    )
    add_as_of_arg(p, "stages")
    p.set_defaults(handler=cmd_stages)
