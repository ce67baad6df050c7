"""kit.sql.among: ``column IN values`` on SQLite, one array parameter on PostgreSQL; the same
answer either way, for no value, one, duplicates and more than the 50 parameters psycopg caches."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Date, String, literal, select
from sqlalchemy.orm import Session

from sparkcodes.kit.sql import among

IDS = [f"{i:032x}" for i in range(120)]


@pytest.mark.parametrize("values", [[], IDS[:1], IDS[:3] + IDS[:3], IDS])
def test_among_answers_as_in(engine, values: list[str]) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        for probe in (IDS[0], IDS[2], IDS[119], "f" * 32):
            found = session.scalar(select(among(session, literal(probe, String(32)), values)))
            assert bool(found) is (probe in values), (probe, len(values))


def test_among_dates(engine) -> None:  # type: ignore[no-untyped-def]
    days = {date(2026, 3, 1) + timedelta(days=i) for i in range(0, 60, 2)}
    with Session(engine) as session:
        for probe in (date(2026, 3, 1), date(2026, 3, 2), date(2026, 4, 28)):
            found = session.scalar(select(among(session, literal(probe, Date), days)))
            assert bool(found) is (probe in days), probe
