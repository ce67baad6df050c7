"""Alembic migrations, run with ``sparkcodes db upgrade``; configured in code, no ini needed.

Writing one: the revision files in ``versions/`` are frozen once merged (a change is a new
revision); schema changes go through ``op.batch_alter_table`` so SQLite can take them. On SQLite
a batch that rebuilds a table drops the triggers on it (0009's on spark_posts and authorizations,
0012's on the audit tables): rebuild such a table with ``batch.batch_alter_table_keeping_triggers``,
which creates them again. Every migration has a test that goes up, down and up again on both
backends and compares the schema at head with the models (``tests/migrations.py``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).parent


def alembic_config(database_url: str, *, secret_key: str | None = None,
                   previous_secret_keys: list[str] | None = None) -> Config:
    """``secret_key`` (and the keys before it): what data migrations key the audit chain with
    (0012) and seal stored secrets with (0015); without it they use the configured settings'
    key, read only if a row needs it."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    if secret_key is not None:
        config.attributes["secret_key"] = secret_key
        config.attributes["previous_secret_keys"] = list(previous_secret_keys or [])
    return config


def upgrade(database_url: str, revision: str = "head", *, secret_key: str | None = None,
            previous_secret_keys: list[str] | None = None) -> None:
    """Migrate; ``secret_key`` keys the audit chain over rows that exist already (0012) and
    seals stored webhook signing secrets (0015), which also opens under the keys before it."""
    command.upgrade(alembic_config(database_url, secret_key=secret_key,
                                   previous_secret_keys=previous_secret_keys), revision)
