"""The ``stockcycle`` command: everything the app computes, scriptable and schedulable.

Each verb lives in a module of ``stockcycle.commands`` that exposes ``register(subparsers)``;
the verb's handler takes the parsed arguments and returns an exit status. Bad input
(``InputError``) prints one line on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from stockcycle import __version__
from stockcycle.commands import (
    check,
    data,
    forecast,
    launch,
    maturity,
    money,
    plan,
    replay,
    settings,
    stages,
    today,
)
from stockcycle.errors import InputError

COMMAND_MODULES = [
    data,
    settings,
    forecast,
    stages,
    plan,
    today,
    maturity,
    check,
    launch,
    money,
    replay,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stockcycle",
        description="Life-cycle inventory planning for Amazon sellers.",
    )
    parser.add_argument("--version", action="version", version=f"stockcycle {__version__}")
    parser.add_argument(
        "--log",
        metavar="FILE",
        help="append the details (tracebacks) of anything that could not be computed to FILE",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Every line printed (argparse's messages too) goes through one filter that shows control
    # characters as escapes: a file name, SKU or title carrying a terminal escape sequence is
    # printed, never obeyed (data.printable).
    real_out, real_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = data.PrintableStream(real_out), data.PrintableStream(real_err)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = real_out, real_err


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.log:
        handler = logging.FileHandler(args.log, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logging.getLogger("stockcycle").addHandler(handler)
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.handler(args) or 0)
    except InputError as err:
        # One line: a line break in a file name must not forge a second message.
        print(f"stockcycle: {data.printable(err)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`stockcycle stages -w DIR | head`): not an error. Point stdout
        # at devnull so Python's own flush at exit does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:
        # A missing input file or an unwritable --out is the seller's to fix, not a crash.
        where = f"{err.filename}: " if err.filename else ""
        print(f"stockcycle: {where}{err.strerror or err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "stockcycle: interrupted; the workspace is unchanged by the unfinished step",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
