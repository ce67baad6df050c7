"""Browser fixtures: one Chromium per module, the live server (SQLite only), the demo world
(built once per test process, then restored for each test that asks for it), and a check that no
test leaves an error in the browser console."""

from __future__ import annotations

import copy
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.pool import PoolProxiedConnection

from sparkcodes import demo
from sparkcodes.kit import clock
from sparkcodes.models import Base
from sparkcodes.simulate import Outcome

# The stand-in TikTok (a second sparkcodes server) for browser tests of the connector.
from tests.connector.test_connector import _standin, standin, standin_settings  # noqa: F401
from tests.e2e.browsing import _PROBLEMS, CHROMIUM_ARGS, chromium_path, sync_api


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    exe = chromium_path()
    if exe is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium); the browser "
                    "tests use the system browser and never download one")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def site(request, backend) -> str:  # type: ignore[no-untyped-def]
    if backend.name != "sqlite":
        pytest.skip("browser tests run on SQLite only: the pages call the same services whose "
                    "behaviour the JSON suite already checks on PostgreSQL")
    return request.getfixturevalue("live_url")


@pytest.fixture(autouse=True)
def _clean_console():  # type: ignore[no-untyped-def]
    _PROBLEMS.clear()
    yield
    assert not _PROBLEMS, f"browser console errors: {_PROBLEMS}"


@dataclass
class _Built:
    """The demo as ``demo.install`` left it: a copy of the database, the instant it was done,
    what it returned, and the files it wrote under ./var."""

    snapshot: Path
    built_at: datetime
    result: demo.DemoResult
    outcome: Outcome | None
    files: dict[str, bytes]


class _DemoCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.built: _Built | None = None


@pytest.fixture(scope="session")
def _demo_cache(tmp_path_factory) -> _DemoCache:  # type: ignore[no-untyped-def]
    return _DemoCache(tmp_path_factory.mktemp("demo"))


def _raw_sqlite(app) -> tuple[PoolProxiedConnection, sqlite3.Connection]:  # type: ignore[no-untyped-def]
    """A pooled connection of the live server's database and its sqlite3 connection, which
    runs each statement as given (db.py takes over transaction control): ATTACH and VACUUM
    must run outside a transaction."""
    raw = app.state.db.engine.raw_connection()
    con = raw.driver_connection
    assert isinstance(con, sqlite3.Connection) and con.isolation_level is None
    return raw, con


def _restore(app, snapshot: Path) -> None:  # type: ignore[no-untyped-def]
    """Copy every row of the snapshot into the (emptied) live database, table by table in
    dependency order. The rows are copied as they are, so the triggers that refuse audit
    changes or derive columns (see ``_truncate`` in tests/conftest.py) step aside meanwhile."""
    raw, con = _raw_sqlite(app)
    try:
        con.execute("ATTACH DATABASE ? AS snap", (str(snapshot),))
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                # The rows were consistent when copied; they are checked at COMMIT, once all in.
                con.execute("PRAGMA defer_foreign_keys = ON")
                triggers = con.execute(
                    "SELECT name, sql FROM main.sqlite_master WHERE type = 'trigger'").fetchall()
                for trigger, _sql in triggers:
                    con.execute(f'DROP TRIGGER main."{trigger}"')
                tables = [t.name for t in Base.metadata.sorted_tables]
                # Rows only in tables the models do not name would not come back: there are none.
                others = con.execute(
                    "SELECT name FROM snap.sqlite_master WHERE type = 'table' AND name NOT IN "
                    f"({', '.join('?' * len(tables))}, 'alembic_version') "
                    "AND name NOT LIKE 'sqlite_%'", tables).fetchall()
                assert not [name for (name,) in others if con.execute(
                    f'SELECT EXISTS (SELECT 1 FROM snap."{name}")').fetchone()[0]], others
                for name in tables:
                    columns = ", ".join(f'"{row[1]}"' for row in con.execute(
                        f'PRAGMA main.table_info("{name}")'))
                    con.execute(f'INSERT INTO main."{name}" ({columns}) '
                                f'SELECT {columns} FROM snap."{name}"')
                for _name, sql in triggers:
                    con.execute(sql)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        finally:
            con.execute("DETACH DATABASE snap")
    finally:
        raw.close()


@pytest.fixture
def demo_installed(app, site, tmp_path, monkeypatch, _demo_cache):  # type: ignore[no-untyped-def]
    """What ``demo.install`` returns, with the demo in the live server's database.

    The first test of a process that asks for it builds the demo (a week of simulated traffic,
    some 20 s) and keeps a copy of the database; each later one gets that copy restored, and
    the clock set back to the instant the build finished, so that it sees the world as if it
    had just been built: "ends in two days", "today" and "the last 7 days" mean what they meant
    then. (The clock still runs; a test that moves it moves it from there:
    ``clock.set_offset(clock.get_offset() + delta)``.)"""
    # The demo saves its codes under ./var: here, not over those of the developer's `make run`.
    monkeypatch.chdir(tmp_path)
    cache = _demo_cache
    if cache.built is None:
        result, outcome = demo.install(app.state.db, app.state.settings)
        built_at = clock.utc_now()
        snapshot = cache.folder / "demo.db"
        raw, con = _raw_sqlite(app)
        try:
            con.execute("VACUUM INTO ?", (str(snapshot),))
        finally:
            raw.close()
        files = {str(f.relative_to(tmp_path)): f.read_bytes()
                 for f in (tmp_path / "var").rglob("*") if f.is_file()}
        cache.built = _Built(snapshot, built_at, result, outcome, files)
    else:
        built = cache.built
        _restore(app, built.snapshot)
        for name, content in built.files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            path.chmod(0o600)
        clock.set_offset(built.built_at - clock.real_now())
    return copy.deepcopy(cache.built.result), copy.deepcopy(cache.built.outcome)


@pytest.fixture
def world(app, site, demo_installed):  # type: ignore[no-untyped-def]
    """The demo `make run` serves, loaded into the live server's database, and the ids the
    pages need."""
    from sqlalchemy import select

    from sparkcodes.models import AdAccount, AdGroup, Business, Campaign

    result, outcome = demo_installed
    assert result.created and outcome is not None
    with app.state.db.unit_of_work() as s:
        business = s.scalars(select(Business).where(Business.name == "Glow Skincare")).one()
        us = s.scalars(select(AdAccount).where(AdAccount.name == "Glow US")).one()
        campaign = s.scalars(select(Campaign).where(Campaign.ad_account_id == us.id)
                             .order_by(Campaign.created_at)).first()
        group = s.scalars(select(AdGroup).where(AdGroup.campaign_id == campaign.id)).first()
        return {"site": site, "business": business.id, "business_name": business.name,
                "account": us.id, "campaign": campaign.id, "group": group.id,
                "group_name": group.name}
