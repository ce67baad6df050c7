"""Module-level aliases are shared by every request thread: their column collections must be
built at import (kit/sql.py shared_alias), and the mappers configured at import too
(models/__init__.py). An alias left to build ``.c`` on first use can be built twice by threads
racing on a fresh process's first requests, and the query that uses it then fails with
NoSuchColumnError, up to the life of the process; mappers left to the first query are
configured while other request threads already compile with them."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import inspect
from sqlalchemy.orm import aliased

from sparkcodes.kit.sql import shared_alias
from sparkcodes.models import Post

# A fresh interpreter, as `sparkcodes serve` starts: import every module (as the crash trial's
# launcher does), then list the module-level aliases whose columns are not built yet.
_PROBE = r"""
import importlib, json, pkgutil
from sqlalchemy import inspect
from sqlalchemy.orm.util import AliasedClass
import sparkcodes
from sparkcodes.models import Base
unconfigured = sorted(str(m) for m in Base.registry.mappers if not m.configured)
aliases, lazy = [], []
for module in pkgutil.walk_packages(sparkcodes.__path__, "sparkcodes."):
    if module.name.startswith("sparkcodes.migrations"):
        continue
    m = importlib.import_module(module.name)
    for name, value in vars(m).items():
        if isinstance(value, AliasedClass):
            aliases.append(f"{module.name}.{name}")
            if not inspect(value).selectable._cols_populated:
                lazy.append(f"{module.name}.{name}")
print(json.dumps({"aliases": aliases, "lazy": lazy, "unconfigured": unconfigured}))
"""


@pytest.fixture(scope="module")
def probe() -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         check=True, timeout=300)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_every_module_level_alias_has_its_columns_built_at_import(
        probe: dict[str, Any]) -> None:
    found = probe
    assert "sparkcodes.authorization.repository.OriginalPost" in found["aliases"]
    assert found["lazy"] == [], "build these with kit.sql.shared_alias, not aliased()"


def test_importing_the_models_configures_every_mapper(probe: dict[str, Any]) -> None:
    assert probe["unconfigured"] == []


def test_shared_alias_builds_the_columns_once_and_keeps_them() -> None:
    lazy = aliased(Post)
    assert not inspect(lazy).selectable._cols_populated  # what aliased() leaves to first use
    alias = shared_alias(Post, name="original_post")
    selectable = inspect(alias).selectable
    assert selectable._cols_populated
    assert selectable.c is selectable.c  # built once, kept
    assert selectable.name == "original_post"
