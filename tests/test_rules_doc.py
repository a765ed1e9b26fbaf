"""``docs/rules.md`` is what ``stockcycle.rulebook`` builds from the code and the tests, and
every rule code anyone writes is a rule of the book (a mistyped code fails here)."""

from __future__ import annotations

from pathlib import Path

from stockcycle import rulebook

ROOT = Path(__file__).resolve().parents[1]


def test_the_rules_page_is_up_to_date() -> None:
    built = rulebook.rules_markdown(ROOT / "tests")
    written = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert written == built, "docs/rules.md is out of date: run python -m stockcycle.rulebook"


def test_every_cited_code_is_a_rule() -> None:
    cited = rulebook.cited_anywhere(ROOT / "src") | rulebook.cited_anywhere(ROOT / "tests")
    assert cited - set(rulebook.RULES) == set()


def test_every_rule_is_implemented_and_tested() -> None:
    functions = rulebook.cited_by_code()
    tests = rulebook.tested_by(ROOT / "tests")
    assert [c for c in rulebook.RULES if not functions.get(c)] == []
    assert [c for c in rulebook.RULES if not tests.get(c)] == []
