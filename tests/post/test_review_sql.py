"""The R30 review's SQL against its pure rule: the comment tones counted by the database
(post.repository.tones_sql, as post.repository.organic_numbers counts them) on generated scores
and cut-offs must equal post.rules.tones. tests/post/test_review_pages.py checks that a batch
preview reads them in one statement."""

from __future__ import annotations

from hypothesis import strategies as st
from sqlalchemy import Connection, Float, false, literal, select, union_all

from sparkcodes.config import Review as Thresholds
from sparkcodes.post import repository, rules
from tests.sql_rules import assert_sql_matches_rule

# Scores at and around VADER's usual cut-offs, and anywhere in [-1, 1].
CUTS = [-0.05, -0.0499, 0.0, 0.0499, 0.05, -1.0, 1.0]
scores = st.sampled_from(CUTS) | st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)
cut_offs = st.sampled_from([0.05, -0.05, 0.0, 0.5, -0.5]) | st.floats(
    min_value=-1.0, max_value=1.0, allow_nan=False)


def test_comment_tones_in_sql_match_the_pure_rule(engine) -> None:  # type: ignore[no-untyped-def]
    def check(conn: Connection, values: list[float], positive: float, negative: float) -> None:
        t = Thresholds(positive_compound=positive, negative_compound=negative)
        rows = (union_all(*(select(literal(v, Float()).label("score")) for v in values))
                if values else select(literal(0.0, Float()).label("score")).where(false()))
        table = rows.subquery()
        counted = conn.execute(select(*repository.tones_sql(table.c.score)),
                               {"positive": positive, "negative": negative}).one()
        assert rules.Tones(*counted) == rules.tones(values, t), (values, t)

    assert_sql_matches_rule(engine, check, values=st.lists(scores, max_size=12),
                            positive=cut_offs, negative=cut_offs)
