"""Tracker's creator sort: spark_posts.creator_handle_key (the post's creator's handle, lower
case), kept by triggers, with the index (business, handle) the sort reads in order

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 05:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

_HANDLE = ("(SELECT c.handle_key FROM posts p JOIN creators c ON c.id = p.creator_id "
           "WHERE p.id = {row}.post_id)")

_SQLITE = [
    f"""CREATE TRIGGER trg_spark_posts_handle_insert AFTER INSERT ON spark_posts
    BEGIN
      UPDATE spark_posts SET creator_handle_key = {_HANDLE.format(row='NEW')} WHERE id = NEW.id;
    END""",
    f"""CREATE TRIGGER trg_spark_posts_handle_update AFTER UPDATE OF post_id ON spark_posts
    BEGIN
      UPDATE spark_posts SET creator_handle_key = {_HANDLE.format(row='NEW')} WHERE id = NEW.id;
    END""",
    """CREATE TRIGGER trg_creators_handle AFTER UPDATE OF handle_key ON creators
    BEGIN
      UPDATE spark_posts SET creator_handle_key = NEW.handle_key
      WHERE post_id IN (SELECT p.id FROM posts p WHERE p.creator_id = NEW.id);
    END""",
    """CREATE TRIGGER trg_posts_creator_handle AFTER UPDATE OF creator_id ON posts
    BEGIN
      UPDATE spark_posts
      SET creator_handle_key = (SELECT c.handle_key FROM creators c WHERE c.id = NEW.creator_id)
      WHERE post_id = NEW.id;
    END""",
]
_SQLITE_DROP = ["DROP TRIGGER IF EXISTS trg_posts_creator_handle",
                "DROP TRIGGER IF EXISTS trg_creators_handle",
                "DROP TRIGGER IF EXISTS trg_spark_posts_handle_update",
                "DROP TRIGGER IF EXISTS trg_spark_posts_handle_insert"]

_POSTGRES = [
    f"""CREATE FUNCTION spark_posts_handle() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.creator_handle_key := {_HANDLE.format(row='NEW')};
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER trg_spark_posts_handle BEFORE INSERT OR UPDATE OF post_id ON spark_posts
    FOR EACH ROW EXECUTE FUNCTION spark_posts_handle()""",
    """CREATE FUNCTION creators_handle() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.handle_key IS DISTINCT FROM OLD.handle_key THEN
        UPDATE spark_posts SET creator_handle_key = NEW.handle_key
        WHERE post_id IN (SELECT p.id FROM posts p WHERE p.creator_id = NEW.id);
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER trg_creators_handle AFTER UPDATE OF handle_key ON creators
    FOR EACH ROW EXECUTE FUNCTION creators_handle()""",
    """CREATE FUNCTION posts_creator_handle() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.creator_id IS DISTINCT FROM OLD.creator_id THEN
        UPDATE spark_posts
        SET creator_handle_key = (SELECT c.handle_key FROM creators c WHERE c.id = NEW.creator_id)
        WHERE post_id = NEW.id;
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER trg_posts_creator_handle AFTER UPDATE OF creator_id ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_creator_handle()""",
]
_POSTGRES_DROP = ["DROP TRIGGER IF EXISTS trg_posts_creator_handle ON posts",
                  "DROP FUNCTION IF EXISTS posts_creator_handle()",
                  "DROP TRIGGER IF EXISTS trg_creators_handle ON creators",
                  "DROP FUNCTION IF EXISTS creators_handle()",
                  "DROP TRIGGER IF EXISTS trg_spark_posts_handle ON spark_posts",
                  "DROP FUNCTION IF EXISTS spark_posts_handle()"]


def upgrade() -> None:
    # Plain ALTER TABLE, not a batch: on SQLite a batch may rebuild the table, which would drop
    # the triggers of migrations 0009, 0011 and 0017.
    op.add_column('spark_posts', sa.Column('creator_handle_key', sa.String(length=24),
                                           nullable=True))
    op.create_index('ix_spark_posts_business_handle', 'spark_posts',
                    ['business_id', 'creator_handle_key'], unique=False)
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _POSTGRES if postgres else _SQLITE:
        op.execute(statement)
    op.execute(f"UPDATE spark_posts SET creator_handle_key = {_HANDLE.format(row='spark_posts')}")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _POSTGRES_DROP if postgres else _SQLITE_DROP:
        op.execute(statement)
    op.drop_index('ix_spark_posts_business_handle', table_name='spark_posts')
    op.execute("ALTER TABLE spark_posts DROP COLUMN creator_handle_key")
