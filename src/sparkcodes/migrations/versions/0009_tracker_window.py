"""Tracker in SQL: spark_posts.business_id and spark_posts.window_end_at, kept by triggers, with
the index the tracker pages by (business, window end, id), and an index on
spark_posts.original_authorization_id for the trigger that follows a code's new end

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 09:00:00
"""
import sqlalchemy as sa
from alembic import op

import sparkcodes.kit.types

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# spark_post.rules.window_end for the spark_posts row being written: the earlier end of its code
# and of the original's code, NULL when it has neither. Portable: SQLite's two-argument min() is
# NULL as soon as one side is, PostgreSQL's LEAST ignores NULLs, so spell it out.
_WINDOW_END = """(SELECT CASE WHEN e.o IS NULL OR e.c <= e.o THEN e.c ELSE e.o END FROM (SELECT
    (SELECT a.expires_at FROM authorizations a WHERE a.id = {row}.authorization_id) AS c,
    (SELECT a.expires_at FROM authorizations a WHERE a.id = {row}.original_authorization_id) AS o
  ) e)"""
_BUSINESS = "(SELECT b.business_id FROM ad_accounts b WHERE b.id = {row}.ad_account_id)"

_SQLITE = [
    f"""CREATE TRIGGER trg_spark_posts_derived_insert AFTER INSERT ON spark_posts
    BEGIN
      UPDATE spark_posts SET business_id = {_BUSINESS.format(row='spark_posts')},
        window_end_at = {_WINDOW_END.format(row='spark_posts')}
      WHERE id = NEW.id;
    END""",
    f"""CREATE TRIGGER trg_spark_posts_derived_update
    AFTER UPDATE OF ad_account_id, authorization_id, original_authorization_id ON spark_posts
    BEGIN
      UPDATE spark_posts SET business_id = {_BUSINESS.format(row='spark_posts')},
        window_end_at = {_WINDOW_END.format(row='spark_posts')}
      WHERE id = NEW.id;
    END""",
    f"""CREATE TRIGGER trg_authorizations_window AFTER UPDATE OF expires_at ON authorizations
    BEGIN
      UPDATE spark_posts SET window_end_at = {_WINDOW_END.format(row='spark_posts')}
      WHERE authorization_id = NEW.id OR original_authorization_id = NEW.id;
    END""",
]
_SQLITE_DROP = ["DROP TRIGGER IF EXISTS trg_authorizations_window",
                "DROP TRIGGER IF EXISTS trg_spark_posts_derived_update",
                "DROP TRIGGER IF EXISTS trg_spark_posts_derived_insert"]

_POSTGRES = [
    f"""CREATE FUNCTION spark_posts_derived() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.business_id := {_BUSINESS.format(row='NEW')};
      NEW.window_end_at := {_WINDOW_END.format(row='NEW')};
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER trg_spark_posts_derived
    BEFORE INSERT OR UPDATE OF ad_account_id, authorization_id, original_authorization_id
    ON spark_posts FOR EACH ROW EXECUTE FUNCTION spark_posts_derived()""",
    f"""CREATE FUNCTION authorizations_window() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.expires_at IS DISTINCT FROM OLD.expires_at THEN
        UPDATE spark_posts SET window_end_at = {_WINDOW_END.format(row='spark_posts')}
        WHERE authorization_id = NEW.id OR original_authorization_id = NEW.id;
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER trg_authorizations_window AFTER UPDATE OF expires_at ON authorizations
    FOR EACH ROW EXECUTE FUNCTION authorizations_window()""",
]
_POSTGRES_DROP = ["DROP TRIGGER IF EXISTS trg_authorizations_window ON authorizations",
                  "DROP FUNCTION IF EXISTS authorizations_window()",
                  "DROP TRIGGER IF EXISTS trg_spark_posts_derived ON spark_posts",
                  "DROP FUNCTION IF EXISTS spark_posts_derived()"]

_BACKFILL = (f"UPDATE spark_posts SET business_id = {_BUSINESS.format(row='spark_posts')}, "
             f"window_end_at = {_WINDOW_END.format(row='spark_posts')}")


def upgrade() -> None:
    with op.batch_alter_table('spark_posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('business_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column(
            'window_end_at', sparkcodes.kit.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_spark_posts_business_id_businesses'),
                                    'businesses', ['business_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_spark_posts_original_authorization_id'),
                              ['original_authorization_id'], unique=False)
        batch_op.create_index('ix_spark_posts_business_window',
                              ['business_id', 'window_end_at', 'id'], unique=False)
    # Triggers after the batch: on SQLite the batch may rebuild the table, which drops them.
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _POSTGRES if postgres else _SQLITE:
        op.execute(statement)
    op.execute(_BACKFILL)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _POSTGRES_DROP if postgres else _SQLITE_DROP:
        op.execute(statement)
    with op.batch_alter_table('spark_posts', schema=None) as batch_op:
        batch_op.drop_index('ix_spark_posts_business_window')
        batch_op.drop_index(batch_op.f('ix_spark_posts_original_authorization_id'))
        batch_op.drop_constraint(batch_op.f('fk_spark_posts_business_id_businesses'),
                                 type_='foreignkey')
        batch_op.drop_column('window_end_at')
        batch_op.drop_column('business_id')
