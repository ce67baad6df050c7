"""The harness of the "SQL equals the pure rule" tests: a repository's SQL expression (a status
CASE, a sweep's WHERE) evaluated by the real database on generated inputs, bound as literals,
must give what the noun's rules.py gives on the same inputs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, literal

from sparkcodes.kit.types import UTCDateTime


def when(value: datetime | None) -> Any:  # noqa: ANN401
    """An instant (or NULL) as a literal of the UTC column type, as the database compares it."""
    return literal(value, UTCDateTime())


def assert_sql_matches_rule(engine: Engine, check: Callable[..., None], *, examples: int = 400,
                            **strategies: st.SearchStrategy[Any]) -> None:
    """Calls ``check(conn, **case)`` on ``examples`` cases drawn from ``strategies`` (one keyword
    each), on one connection of ``engine``; ``check`` evaluates the SQL on ``conn`` and asserts
    it equals the rule. Hypothesis shrinks a failure to its smallest case."""
    with engine.connect() as conn:

        @settings(max_examples=examples, deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(st.fixed_dictionaries(strategies))
        def run(case: dict[str, Any]) -> None:
            check(conn, **case)

        run()

