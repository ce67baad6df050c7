"""safe_cell: CSV cells a spreadsheet never runs as a formula."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sparkcodes.kit.spreadsheet import safe_cell


@pytest.mark.parametrize(("value", "cell"), [
    (None, ""),
    ("Morning glow", "Morning glow"),
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+1 routine", "'+1 routine"),
    ("-20% today", "'-20% today"),
    ("@maya", "'@maya"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
    ("a=b", "a=b"),
    (7, "7"),
    (-3, "'-3"),
    (datetime(2026, 12, 6, 20, 0, tzinfo=UTC), "2026-12-06T20:00:00+00:00"),
])
def test_cells(value: object, cell: str) -> None:
    assert safe_cell(value) == cell
