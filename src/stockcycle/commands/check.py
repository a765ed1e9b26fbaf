"""Check verb: ``stockcycle check`` runs every alert rule as of the data date, updates the
workspace's alert log and prints what is new (R-A2), for cron, a systemd timer or CI.

Exit status: 0 nothing new, 1 new alerts, 2 an error (bad workspace, bad date). A failed
notification is reported on stderr and leaves the alerts unsent for the next run; it does not
change the exit status.
"""

from __future__ import annotations

import argparse
import json
import sys

from stockcycle.commands.data import add_workspace_arg, open_existing, parse_date


def _line(row: dict) -> str:
    money = row.get("money_at_stake")
    at_stake = f" At stake: {money:,.0f}." if money is not None else ""
    state = "" if row["state"] == "new" else f" [{row['state']}]"
    return (
        f"  {row['severity']:<6} {row['sku']}: {row['title']}, {row['figure']}.{state} "
        f"{row['action'].rstrip('.')}.{at_stake}"
    )


def cmd_check(args: argparse.Namespace) -> int:
    from stockcycle import alerts, datadate, notify

    ws = open_existing(args.workspace)
    as_of = parse_date(args.as_of, "--as-of") if args.as_of else None
    config = notify.load_config() if args.notify else None
    if config is not None:
        for problem in config.problems:
            print(f"stockcycle: notification setting ignored: {problem}", file=sys.stderr)
        if not config.channels:
            print(
                "stockcycle: --notify, but no channel is configured (set STOCKCYCLE_SMTP_HOST "
                "and STOCKCYCLE_ALERT_EMAIL_TO, or STOCKCYCLE_SLACK_WEBHOOK); alerts stay unsent",
                file=sys.stderr,
            )
    result = alerts.run_check(ws, as_of=as_of, notify_config=config)
    for error in result.sent.values():
        if error is not None:
            print(
                f"stockcycle: {error}; the {result.unsent} alerts stay unsent and are retried "
                "on the next run",
                file=sys.stderr,
            )
    if args.json:
        print(json.dumps(result.to_json(), indent=2, default=str))
        return 1 if result.new else 0
    when = datadate.long_date(result.as_of) if result.as_of else "no data"
    print(f"As of {when}, checked on {datadate.long_date(result.today)}")
    stale = datadate.stale_data_warning(result.today, result.as_of)
    if stale:
        print(f"Warning: {stale}")
    print(f"{len(result.new):,} new alerts, {len(result.open):,} open, {result.resolved:,} cleared")
    if result.new:
        print("New:")
        for row in result.new:
            print(_line(row))
    others = [r for r in result.open if r["id"] not in {n["id"] for n in result.new}]
    if others:
        print("Still open:")
        for row in others:
            print(_line(row))
    for sku, problem in (result.problems or {}).items():
        print(f"Not checked for stock rules: {sku}: {problem}")
    if result.notified:
        ok = [channel for channel, error in result.sent.items() if error is None]
        print(f"Sent {result.notified:,} alerts by {' and '.join(ok)}.")
    return 1 if result.new else 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check",
        help="run every alert rule, update the alert log, print (and send) what is new; "
        "exit 0 nothing new, 1 new alerts, 2 error",
    )
    add_workspace_arg(p)
    p.add_argument(
        "--as-of",
        default=None,
        metavar="YYYY-MM-DD",
        help="cut sales, stock and health figures at this day (default: the data date); "
        "forecasts, stages and restock plans stay those of the data date",
    )
    p.add_argument(
        "--notify",
        action="store_true",
        help="send the new alerts as one digest by email and/or Slack "
        "(STOCKCYCLE_SMTP_* / STOCKCYCLE_SLACK_WEBHOOK environment variables)",
    )
    p.add_argument("--json", action="store_true", help='print {"as_of", "new", "open"} as JSON')
    p.set_defaults(handler=cmd_check)
