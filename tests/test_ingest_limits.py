"""Hostile workbooks are refused before they are expanded (hardening issue, finding 1).

The files are generated here with ``zipfile``, writing the big parts in streamed chunks, so
nothing big is committed and the test itself stays small in memory. Each must be refused in a
few seconds and with far less than 1 GB of memory, through ``parse_file`` and through
``stockcycle import`` (exit status 2, one line naming the file and the bound).
"""

from __future__ import annotations

import io
import resource
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest

from stockcycle.errors import InputError
from stockcycle.ingest import parse_file
from stockcycle.ingest import read as reader

SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
MB = 1024 * 1024


def _good_workbook(shared: bool = True) -> bytes:
    """A small real workbook (date, sku, units) whose parts the tests then replace."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["date", "sku", "units"])
    ws.append(["2025-03-01", "A", 3])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _write_xlsx(path: Path, replace: dict[str, Callable[[], Iterator[bytes]]]) -> Path:
    """The good workbook with some parts replaced by streamed content."""
    good = zipfile.ZipFile(io.BytesIO(_good_workbook()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for info in good.infolist():
            if info.filename in replace:
                continue
            out.writestr(info.filename, good.read(info.filename))
        for name, chunks in replace.items():
            with out.open(name, "w", force_zip64=True) as part:
                for chunk in chunks():
                    part.write(chunk)
    return path


def _shared_strings(n_chars: int, letters: bytes = b"a") -> Iterator[bytes]:
    """sharedStrings.xml holding one string of ``n_chars`` characters (the 1.5 GB attack)."""
    yield (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        b'uniqueCount="1"><si><t>'
    )
    chunk = (letters * (MB // len(letters) + 1))[:MB]
    for _ in range(n_chars // MB):
        yield chunk
    yield b"</t></si></sst>"


def _rows(n: int, dimension: str | None = None) -> Iterator[bytes]:
    """A sheet of ``n`` one-cell rows written compactly (the 2,000,000-row attack)."""
    head = SHEET_HEAD + (f'<dimension ref="{dimension}"/>' if dimension else "") + "<sheetData>"
    yield head.encode()
    step = 50_000
    for start in range(1, n + 1, step):
        yield "".join(
            f'<row r="{i}"><c r="A{i}"><v>1</v></c></row>'
            for i in range(start, min(n, start + step - 1) + 1)
        ).encode()
    yield b"</sheetData></worksheet>"


def _refused(path: Path) -> tuple[InputError, float, float]:
    """Parse ``path``; return the error, the seconds it took and the growth of peak RSS (MB)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with pytest.raises(InputError) as caught:
        parse_file(path)
    seconds = time.perf_counter() - start
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024  # KB on Linux
    return caught.value, seconds, grown


def test_a_huge_shared_string_is_refused_from_the_zip_directory(tmp_path: Path) -> None:
    # 300 MB of one string: past the per-part bound, and compressed ~1000 to 1.
    path = _write_xlsx(
        tmp_path / "bomb.xlsx", {"xl/sharedStrings.xml": lambda: _shared_strings(300 * MB)}
    )
    assert path.stat().st_size < 2 * MB
    err, seconds, grown = _refused(path)
    assert err.file == "bomb.xlsx"
    assert "expands to" in err.message and "MB" in err.message
    assert seconds < 30 and grown < 200  # unbounded, this took minutes


def test_a_string_longer_than_an_excel_cell_is_refused_while_streaming(tmp_path: Path) -> None:
    # 4 MB of varied letters: small and ordinary in ratio, but no Excel cell holds it.
    path = _write_xlsx(
        tmp_path / "long.xlsx",
        {"xl/sharedStrings.xml": lambda: _shared_strings(4 * MB, bytes(range(97, 123)) * 7)},
    )
    err, seconds, grown = _refused(path)
    assert err.file == "long.xlsx"
    assert "32,767 characters" in err.message and "xl/sharedStrings.xml" in err.message
    assert seconds < 30 and grown < 200  # unbounded, this took minutes


def test_a_zip_bomb_ratio_is_refused(tmp_path: Path) -> None:
    path = _write_xlsx(
        tmp_path / "ratio.xlsx", {"xl/sharedStrings.xml": lambda: _shared_strings(20 * MB)}
    )
    err, seconds, _ = _refused(path)
    assert "to 1" in err.message and "zip bomb" in err.message and err.file == "ratio.xlsx"
    assert seconds < 30  # unbounded, this took minutes


def test_too_many_rows_are_refused_without_a_dimension(tmp_path: Path) -> None:
    path = _write_xlsx(
        tmp_path / "rows.xlsx", {"xl/worksheets/sheet1.xml": lambda: _rows(1_100_000)}
    )
    assert path.stat().st_size < 10 * MB
    err, seconds, grown = _refused(path)
    assert "more than 1,048,576 rows" in err.message and err.file == "rows.xlsx"
    assert seconds < 60 and grown < 300  # unbounded: 174 s, accepted


def test_a_declared_dimension_past_the_limits_is_refused_at_once(tmp_path: Path) -> None:
    path = _write_xlsx(
        tmp_path / "dim.xlsx",
        {"xl/worksheets/sheet1.xml": lambda: _rows(3, dimension="A1:C2000000")},
    )
    err, seconds, _ = _refused(path)
    assert "2,000,000 rows" in err.message
    assert seconds < 20  # refused from the declared size, before reading
    # Within Excel's row and column limits, but a grid openpyxl would pad to 17 billion cells.
    path = _write_xlsx(
        tmp_path / "grid.xlsx",
        {"xl/worksheets/sheet1.xml": lambda: _rows(3, dimension="A1:XFD1048576")},
    )
    err, seconds, _ = _refused(path)
    assert "cells" in err.message and seconds < 20


def test_the_total_size_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "XLSX_MAX_TOTAL_BYTES", 100_000)
    path = _write_xlsx(tmp_path / "big.xlsx", {"xl/worksheets/sheet1.xml": lambda: _rows(5000)})
    err, _, _ = _refused(path)
    assert "this workbook expands to" in err.message


def test_a_dtd_is_refused(tmp_path: Path) -> None:
    def sheet() -> Iterator[bytes]:
        yield b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaa">]>'
        yield SHEET_HEAD.split("\n", 1)[1].encode() + b"<sheetData/></worksheet>"

    err, _, _ = _refused(_write_xlsx(tmp_path / "dtd.xlsx", {"xl/worksheets/sheet1.xml": sheet}))
    assert "DTD" in err.message


def test_a_workbook_within_the_limits_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "ok.xlsx"
    path.write_bytes(_good_workbook())
    assert parse_file(path).tables["sales"]["units"].tolist() == [3.0]


@pytest.mark.parametrize(
    ("name", "part", "chunks", "words"),
    [
        ("bomb.xlsx", "xl/sharedStrings.xml", lambda: _shared_strings(300 * MB), "expands to"),
        ("rows.xlsx", "xl/worksheets/sheet1.xml", lambda: _rows(1_100_000), "1,048,576 rows"),
    ],
)
def test_the_cli_refuses_with_status_2_and_one_line(
    tmp_path: Path, name: str, part: str, chunks: Callable[[], Iterator[bytes]], words: str
) -> None:
    path = _write_xlsx(tmp_path / name, {part: chunks})
    peak_file = tmp_path / "peak"
    # The command as ``stockcycle import`` runs it, writing its own peak memory (KB) on the way
    # out: RUSAGE_CHILDREN would mix in every other child this test worker ever waited for.
    child = (
        "import resource, sys\n"
        "from stockcycle.cli import main\n"
        "try:\n    code = main(sys.argv[1:])\n"
        "finally:\n"
        f"    open({str(peak_file)!r}, 'w').write(\n"
        "        str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n"
        "sys.exit(code)\n"
    )
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", child, "import", "-w", str(tmp_path / "ws"), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    seconds = time.perf_counter() - start
    peak_mb = int(peak_file.read_text()) / 1024
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and words in lines[0]
    assert "Traceback" not in proc.stderr
    # Generous on time: the suite runs in parallel with browser tests.
    assert seconds < 30 and peak_mb < 1024
