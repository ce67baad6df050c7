"""kit.sql.by_ids: the rows with these ids, as one SELECT of them all would give them, reading
only those the session does not already hold loaded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, String, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from sparkcodes.kit.sql import by_ids


class _Base(DeclarativeBase):
    pass


class Probe(_Base):
    __tablename__ = "kit_by_ids_probe"

    key: Mapped[str] = mapped_column("id", String(32), primary_key=True)
    label: Mapped[str] = mapped_column(String(40))


IDS = [f"{i:032x}" for i in range(80)]


@pytest.fixture
def probes(engine: Engine) -> Iterator[Engine]:
    _Base.metadata.drop_all(engine)
    _Base.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        session.add_all(Probe(key=i, label=f"row {n}") for n, i in enumerate(IDS))
    yield engine
    _Base.metadata.drop_all(engine)


def _statements(engine: Engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_: seen.append(statement))
    return seen


def test_reads_every_row_asked_for_and_skips_none_and_unknown_ids(probes: Engine) -> None:
    with Session(probes) as session:
        found = by_ids(session, Probe, [*IDS[:60], None, "f" * 32, IDS[0]])
    assert sorted(found) == IDS[:60]
    assert all(found[i].key == i for i in found)


def test_nothing_asked_reads_nothing(probes: Engine) -> None:
    seen = _statements(probes)
    with Session(probes) as session:
        assert by_ids(session, Probe, [None, None]) == {}
    assert not any("kit_by_ids_probe" in s for s in seen)


def test_rows_held_loaded_are_not_read_again_and_are_the_same_objects(probes: Engine) -> None:
    with Session(probes) as session:
        held = by_ids(session, Probe, IDS[:10])
        seen = _statements(probes)
        again = by_ids(session, Probe, IDS[:10])
        assert not any("kit_by_ids_probe" in s for s in seen)
        assert all(again[i] is held[i] for i in IDS[:10])
        # Only the rows missing are read, in one statement.
        more = by_ids(session, Probe, IDS[5:20])
        assert len([s for s in seen if "kit_by_ids_probe" in s]) == 1
        assert sorted(more) == IDS[5:20] and more[IDS[5]] is held[IDS[5]]


def test_a_held_row_keeps_what_this_session_changed_as_a_select_would(probes: Engine) -> None:
    with Session(probes) as session:
        row = by_ids(session, Probe, IDS[:1])[IDS[0]]
        row.label = "changed here"
        assert by_ids(session, Probe, IDS[:1])[IDS[0]].label == "changed here"


def test_an_expired_row_is_read_again(probes: Engine) -> None:
    with Session(probes) as session:
        row = by_ids(session, Probe, IDS[:1])[IDS[0]]
        with Session(probes) as other, other.begin():
            other.get(Probe, IDS[0]).label = "changed elsewhere"  # type: ignore[union-attr]
        session.commit()  # expires what the session holds
        seen = _statements(probes)
        again = by_ids(session, Probe, IDS[:1])[IDS[0]]
        assert any("kit_by_ids_probe" in s for s in seen)
        assert again is row and again.label == "changed elsewhere"


def test_a_row_deleted_in_this_session_is_not_returned(probes: Engine) -> None:
    with Session(probes) as session:
        row = by_ids(session, Probe, IDS[:2])[IDS[0]]
        session.delete(row)
        assert sorted(by_ids(session, Probe, IDS[:2])) == [IDS[1]]
        session.flush()
        assert sorted(by_ids(session, Probe, IDS[:2])) == [IDS[1]]
