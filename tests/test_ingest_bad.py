"""The malformed-file corpus: every bad file gives one clear message naming file, row, column.

tests/data/bad/expected.csv lists, per file, the substrings (separated by '|') the message must
contain. Every file in the folder must be listed, so a new bad file cannot go unchecked.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from stockcycle.errors import InputError
from stockcycle.ingest import parse_file

BAD = Path(__file__).parent / "data" / "bad"
with open(BAD / "expected.csv", newline="", encoding="utf-8") as f:
    EXPECTED = {
        r["file"]: [s.strip() for s in r["expected_substrings"].split("|")]
        for r in csv.DictReader(f)
    }


def test_every_bad_file_is_listed_and_there_are_at_least_30():
    files = {p.name for p in BAD.iterdir() if p.name != "expected.csv"}
    assert files == set(EXPECTED)
    assert len(files) >= 30


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_gives_one_clear_message(name: str):
    with pytest.raises(InputError) as info:
        parse_file(BAD / name, as_of=date(2025, 4, 1), search="silicone baking mat")
    message = str(info.value)
    assert message.startswith(name), message
    assert "\n" not in message
    for part in EXPECTED[name]:
        assert part in message, f"{part!r} not in {message!r}"


@pytest.mark.parametrize("name", ["orders_text_quantity.txt", "sales_blank_units.csv"])
def test_bad_upload_as_bytes_names_the_upload(name: str):
    """The app passes bytes and the uploaded file's name: the message uses that name."""
    with pytest.raises(InputError) as info:
        parse_file((BAD / name).read_bytes(), "my upload.txt")
    assert str(info.value).startswith("my upload.txt, row ")
