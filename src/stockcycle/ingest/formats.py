"""The formats we read, described by their headers, and how a file is matched to one.

A file is recognised by its header row only, never by its name. Headers are compared after
``clean.normalise_header`` (no BOM, single spaces, case-folded, plain hyphens and quotes), and
always as whole names: ``Sessions - Total`` never matches ``Sessions - Total - B2B``. A column
may have several accepted names (Amazon renamed some over the years) or, for Helium 10's
``Price  $`` / ``Fees  £``, a pattern with the currency sign.

A format matches when every required column is present; when several match, the one with the
most required columns wins (the most specific), then the one with the most optional columns.
Generic tables (``generic_*``) are stricter: every header in the file must be one of the
table's own column names, so a file with unknown columns goes to the mapping step instead of
being half-read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from stockcycle.errors import InputError
from stockcycle.ingest.clean import normalise_header


@dataclass(frozen=True)
class Col:
    """One column of a format: ``key`` is what the parser calls it, ``names`` the accepted
    headers (the first is the one we show), ``pattern`` a regex on the normalised header."""

    key: str
    names: tuple[str, ...]
    required: bool = False
    pattern: str | None = None
    # The names in the form headers are compared in, worked out once (formats are constants).
    norm_names: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "norm_names", frozenset(normalise_header(n) for n in self.names))

    def matches(self, norm: str) -> bool:
        """Whether a normalised header is this column."""
        if self.pattern is not None:
            return re.fullmatch(self.pattern, norm) is not None
        return norm in self.norm_names


@dataclass(frozen=True)
class FormatInfo:
    """A file format: what it is called, its headers and the tables it fills."""

    kind: str
    label: str
    required: list[str]
    optional: list[str]
    tables: list[str]
    columns: tuple[Col, ...] = field(repr=False, default=())
    parser: Callable | None = field(repr=False, default=None, compare=False)
    generic: bool = False
    description: str = ""


@dataclass(frozen=True)
class TargetInfo:
    """A generic table a mapped file can fill: its required and optional stockcycle columns."""

    name: str
    label: str
    required: list[str]
    optional: list[str]
    description: str = ""
    defaults: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return self.required + self.optional


def make_format(
    kind: str,
    label: str,
    tables: list[str],
    columns: list[Col],
    parser: Callable,
    *,
    generic: bool = False,
    description: str = "",
) -> FormatInfo:
    return FormatInfo(
        kind=kind,
        label=label,
        required=[c.names[0] for c in columns if c.required],
        optional=[c.names[0] for c in columns if not c.required],
        tables=tables,
        columns=tuple(columns),
        parser=parser,
        generic=generic,
        description=description,
    )


@dataclass
class Match:
    fmt: FormatInfo
    found: dict[str, int]  # column key -> position in the file
    missing: list[str]  # required headers not found (display names)
    extra: list[str]  # generic tables only: headers that are not columns of the table

    @property
    def complete(self) -> bool:
        return not self.missing and not self.extra

    @property
    def n_required(self) -> int:
        return sum(1 for c in self.fmt.columns if c.required and c.key in self.found)

    def problem(self) -> str:
        parts = []
        if self.missing:
            parts.append(
                "missing "
                + ", ".join(repr(m) for m in self.missing[:4])
                + (", ..." if len(self.missing) > 4 else "")
            )
        if self.extra:
            parts.append(
                "has other columns "
                + ", ".join(repr(e) for e in self.extra[:3])
                + (", ..." if len(self.extra) > 3 else "")
            )
        return "; ".join(parts)


def match(fmt: FormatInfo, headers: list[str], norms: list[str] | None = None) -> Match:
    """Which of the format's columns the headers hold (first occurrence wins).

    ``norms`` are the headers normalised (``normalise_header``), when the caller has them. A
    column known by its names is looked up in a dictionary of first positions rather than
    scanned for, so a file with 100,000 columns is matched in a fraction of a second."""
    if norms is None:
        norms = [normalise_header(h) for h in headers]
    first: dict[str, int] = {}
    for pos, norm in enumerate(norms):
        if norm:
            first.setdefault(norm, pos)
    found: dict[str, int] = {}
    for col in fmt.columns:
        if col.pattern is None:
            hits = [first[n] for n in col.norm_names if n in first]
            if hits:
                found[col.key] = min(hits)
            continue
        for pos, norm in enumerate(norms):
            if norm and col.matches(norm):
                found[col.key] = pos
                break
    missing = [c.names[0] for c in fmt.columns if c.required and c.key not in found]
    extra: list[str] = []
    if fmt.generic:
        used = set(found.values())
        extra = [h for pos, h in enumerate(headers) if norms[pos] and pos not in used]
    return Match(fmt, found, missing, extra)


class UnrecognisedFormat(InputError):
    """The headers match no known format. ``columns`` lists the file's headers (for the
    mapping step); ``closest`` lists ``(label, missing headers)`` of the nearest formats."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None,
        columns: list[str],
        closest: list[tuple[str, list[str]]],
        column: str | None = None,
    ) -> None:
        self.columns = columns
        self.closest = closest
        super().__init__(
            message,
            file=file,
            row=1 if column else None,
            column=column,
            expected="the headers of a known report, or use the column-mapping "
            "step (stockcycle import --map ... --as TABLE)",
        )


def detect(formats: list[FormatInfo], headers: list[str], file: str) -> Match:
    """The most specific format whose required headers are all present, or
    ``UnrecognisedFormat`` naming the closest formats and what each is missing."""
    norms = [normalise_header(h) for h in headers]
    matches = [match(f, headers, norms) for f in formats]
    complete = [m for m in matches if m.complete]
    if complete:
        return max(complete, key=lambda m: (m.n_required, len(m.found)))
    shown = [h for h in headers if h.strip()]
    # Closest: most required columns present, then fewest problems.
    ranked = sorted(
        (m for m in matches if m.n_required),
        key=lambda m: (-m.n_required, len(m.missing) + len(m.extra)),
    )
    closest = [
        (m.fmt.label, m.missing + [f"(not a column: {e})" for e in m.extra]) for m in ranked[:3]
    ]
    if ranked and ranked[0].n_required >= 2 and len(ranked[0].missing) <= 2:
        best = ranked[0]
        if best.missing:
            miss = ", ".join(repr(c) for c in best.missing)
            message = (
                f"the headers look like {best.fmt.label} but the required column(s) "
                f"{miss} are missing"
            )
            column = best.missing[0]
        else:
            other = ", ".join(repr(e) for e in best.extra[:3])
            verb = "is not one of its columns" if len(best.extra) == 1 else "are not its columns"
            message = (
                f"the headers look like {best.fmt.label} but {other} {verb} "
                f"({', '.join(best.fmt.required + best.fmt.optional)})"
            )
            column = best.extra[0]
        raise UnrecognisedFormat(message, file=file, columns=shown, closest=closest, column=column)
    head = ", ".join(repr(h) for h in shown[:8]) + (", ..." if len(shown) > 8 else "")
    message = f"the headers ({head}) match no known format"
    if ranked:
        message += "; closest: " + "; ".join(f"{m.fmt.label} ({m.problem()})" for m in ranked[:3])
    raise UnrecognisedFormat(message, file=file, columns=shown, closest=closest)
