"""Tracker status from one row: spark_posts.codes_deleted_at, posts_unavailable_at and
ad_settings_enabled_at, kept by triggers, so a status filter or count evaluates the status CASE
on the Spark post alone instead of joining its codes, post, original post and their creators

- codes_deleted_at: the earlier deletion of its code and the original's code (NULL: neither);
- posts_unavailable_at: the earliest deletion or take-down of its post and the post's original;
- ad_settings_enabled_at: its post's creator's, NULL when that creator's ad settings are off or
  the post has an original whose creator's are off.

The status stays a comparison with now (`<= now`): the kept values are instants, not a status.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 22:00:00
"""
import sqlalchemy as sa
from alembic import op

import sparkcodes.kit.types

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

# The earlier of two instants, NULL only when both are: SQLite's min() is NULL as soon as one
# side is and PostgreSQL's LEAST ignores NULLs, so spell it out (as 0009's window end does).
_EARLIER = "CASE WHEN {b} IS NULL OR {a} <= {b} THEN {a} ELSE {b} END"

_CODES_DELETED = f"""(SELECT {_EARLIER.format(a='e.c', b='e.o')} FROM (SELECT
    (SELECT a.deleted_at FROM authorizations a WHERE a.id = {{row}}.authorization_id) AS c,
    (SELECT a.deleted_at FROM authorizations a WHERE a.id = {{row}}.original_authorization_id)
      AS o) e)"""
_POSTS_UNAVAILABLE = f"""(SELECT {_EARLIER.format(a='e.x', b='e.y')} FROM (SELECT
    {_EARLIER.format(a='p.deleted_at', b='p.taken_down_at')} AS x,
    {_EARLIER.format(a='q.deleted_at', b='q.taken_down_at')} AS y
    FROM posts p LEFT JOIN posts q ON q.id = p.original_post_id WHERE p.id = {{row}}.post_id) e)"""
_AD_SETTINGS = """(SELECT CASE WHEN q.id IS NOT NULL AND oc.ad_settings_enabled_at IS NULL THEN NULL
    ELSE c.ad_settings_enabled_at END
    FROM posts p JOIN creators c ON c.id = p.creator_id
    LEFT JOIN posts q ON q.id = p.original_post_id LEFT JOIN creators oc ON oc.id = q.creator_id
    WHERE p.id = {row}.post_id)"""


def _all(row: str) -> str:
    return (f"codes_deleted_at = {_CODES_DELETED.format(row=row)}, "
            f"posts_unavailable_at = {_POSTS_UNAVAILABLE.format(row=row)}, "
            f"ad_settings_enabled_at = {_AD_SETTINGS.format(row=row)}")


def _of_posts(row: str) -> str:
    return (f"posts_unavailable_at = {_POSTS_UNAVAILABLE.format(row=row)}, "
            f"ad_settings_enabled_at = {_AD_SETTINGS.format(row=row)}")


# The Spark posts of a post, and of the posts made from it (duets, stitches).
_OF_POST = ("post_id = NEW.id OR post_id IN (SELECT d.id FROM posts d "
            "WHERE d.original_post_id = NEW.id)")
# The Spark posts of a creator's posts, and of the posts made from them.
_OF_CREATOR = ("post_id IN (SELECT p.id FROM posts p WHERE p.creator_id = NEW.id OR "
               "p.original_post_id IN (SELECT o.id FROM posts o WHERE o.creator_id = NEW.id))")

_SQLITE = [
    f"""CREATE TRIGGER trg_spark_posts_state_insert AFTER INSERT ON spark_posts
    BEGIN
      UPDATE spark_posts SET {_all('spark_posts')} WHERE id = NEW.id;
    END""",
    f"""CREATE TRIGGER trg_spark_posts_state_update
    AFTER UPDATE OF post_id, authorization_id, original_authorization_id ON spark_posts
    BEGIN
      UPDATE spark_posts SET {_all('spark_posts')} WHERE id = NEW.id;
    END""",
    f"""CREATE TRIGGER trg_authorizations_deleted AFTER UPDATE OF deleted_at ON authorizations
    BEGIN
      UPDATE spark_posts SET codes_deleted_at = {_CODES_DELETED.format(row='spark_posts')}
      WHERE authorization_id = NEW.id OR original_authorization_id = NEW.id;
    END""",
    f"""CREATE TRIGGER trg_posts_state
    AFTER UPDATE OF deleted_at, taken_down_at, original_post_id, creator_id ON posts
    BEGIN
      UPDATE spark_posts SET {_of_posts('spark_posts')} WHERE {_OF_POST};
    END""",
    f"""CREATE TRIGGER trg_creators_ad_settings AFTER UPDATE OF ad_settings_enabled_at ON creators
    BEGIN
      UPDATE spark_posts SET ad_settings_enabled_at = {_AD_SETTINGS.format(row='spark_posts')}
      WHERE {_OF_CREATOR};
    END""",
]
_SQLITE_DROP = ["DROP TRIGGER IF EXISTS trg_creators_ad_settings",
                "DROP TRIGGER IF EXISTS trg_posts_state",
                "DROP TRIGGER IF EXISTS trg_authorizations_deleted",
                "DROP TRIGGER IF EXISTS trg_spark_posts_state_update",
                "DROP TRIGGER IF EXISTS trg_spark_posts_state_insert"]

_POSTGRES = [
    f"""CREATE FUNCTION spark_posts_state() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.codes_deleted_at := {_CODES_DELETED.format(row='NEW')};
      NEW.posts_unavailable_at := {_POSTS_UNAVAILABLE.format(row='NEW')};
      NEW.ad_settings_enabled_at := {_AD_SETTINGS.format(row='NEW')};
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER trg_spark_posts_state
    BEFORE INSERT OR UPDATE OF post_id, authorization_id, original_authorization_id
    ON spark_posts FOR EACH ROW EXECUTE FUNCTION spark_posts_state()""",
    f"""CREATE FUNCTION authorizations_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.deleted_at IS DISTINCT FROM OLD.deleted_at THEN
        UPDATE spark_posts SET codes_deleted_at = {_CODES_DELETED.format(row='spark_posts')}
        WHERE authorization_id = NEW.id OR original_authorization_id = NEW.id;
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER trg_authorizations_deleted AFTER UPDATE OF deleted_at ON authorizations
    FOR EACH ROW EXECUTE FUNCTION authorizations_deleted()""",
    f"""CREATE FUNCTION posts_state() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.deleted_at IS DISTINCT FROM OLD.deleted_at
         OR NEW.taken_down_at IS DISTINCT FROM OLD.taken_down_at
         OR NEW.original_post_id IS DISTINCT FROM OLD.original_post_id
         OR NEW.creator_id IS DISTINCT FROM OLD.creator_id THEN
        UPDATE spark_posts SET {_of_posts('spark_posts')} WHERE {_OF_POST};
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER trg_posts_state
    AFTER UPDATE OF deleted_at, taken_down_at, original_post_id, creator_id ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_state()""",
    f"""CREATE FUNCTION creators_ad_settings() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.ad_settings_enabled_at IS DISTINCT FROM OLD.ad_settings_enabled_at THEN
        UPDATE spark_posts
        SET ad_settings_enabled_at = {_AD_SETTINGS.format(row='spark_posts')}
        WHERE {_OF_CREATOR};
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER trg_creators_ad_settings AFTER UPDATE OF ad_settings_enabled_at ON creators
    FOR EACH ROW EXECUTE FUNCTION creators_ad_settings()""",
]
_POSTGRES_DROP = ["DROP TRIGGER IF EXISTS trg_creators_ad_settings ON creators",
                  "DROP FUNCTION IF EXISTS creators_ad_settings()",
                  "DROP TRIGGER IF EXISTS trg_posts_state ON posts",
                  "DROP FUNCTION IF EXISTS posts_state()",
                  "DROP TRIGGER IF EXISTS trg_authorizations_deleted ON authorizations",
                  "DROP FUNCTION IF EXISTS authorizations_deleted()",
                  "DROP TRIGGER IF EXISTS trg_spark_posts_state ON spark_posts",
                  "DROP FUNCTION IF EXISTS spark_posts_state()"]

_COLUMNS = ("codes_deleted_at", "posts_unavailable_at", "ad_settings_enabled_at")


def upgrade() -> None:
    # Plain ALTER TABLE, not a batch: on SQLite a batch may rebuild the table, which would drop
    # the triggers of earlier migrations.
    for name in _COLUMNS:
        op.add_column('spark_posts', sa.Column(
            name, sparkcodes.kit.types.UTCDateTime(timezone=True), nullable=True))
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _POSTGRES if postgres else _SQLITE:
        op.execute(statement)
    op.execute(f"UPDATE spark_posts SET {_all('spark_posts')}")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _POSTGRES_DROP if postgres else _SQLITE_DROP:
        op.execute(statement)
    for name in reversed(_COLUMNS):
        op.execute(f"ALTER TABLE spark_posts DROP COLUMN {name}")
