# What a newcomer types: `make run` and `make test`. Everything else is created on demand.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LINT_STAMP := $(VENV)/.lint-installed

# Installs come from uv.lock, written and read by uv; uv itself is pinned and installed from
# PyPI into the venv, so every machine resolves and installs the same way.
UV_VERSION := 0.13.9
UV_STAMP   := $(VENV)/.uv-$(UV_VERSION)
UV         := UV_PROJECT_ENVIRONMENT=$(VENV) UV_PYTHON_DOWNLOADS=never $(BIN)/uv

# Fails, naming the fix, when uv.lock no longer matches pyproject.toml. Offline: it compares
# the two files only, so a new release on PyPI never fails it.
define check_lock
	@out=$$($(UV) lock --check --offline 2>&1) || { \
	  echo "uv.lock does not match pyproject.toml: run 'make lock', then commit uv.lock." >&2; \
	  echo "uv lock --check said:" >&2; printf '%s\n' "$$out" | sed 's/^/    /' >&2; exit 1; }
endef

export SPARKCODES_SANDBOX ?= 1

.PHONY: run test lint lock check-lock bench clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=python3.x (3.11 or newer)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(UV_STAMP): | $(BIN)/python
	$(BIN)/pip install --quiet 'uv==$(UV_VERSION)'
	@touch $(UV_STAMP)

# The locked versions of the dependencies and the test extra, then the project itself (editable).
# --inexact keeps what the venv has beyond the lock (pip, uv, the lint tools).
$(STAMP): pyproject.toml uv.lock | $(UV_STAMP)
	$(check_lock)
	$(UV) sync --locked --inexact --extra test --quiet
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/sparkcodes db upgrade
	$(BIN)/sparkcodes demo
	$(BIN)/sparkcodes serve --host 127.0.0.1 --port 8000

# The suite runs in TEST_WORKERS processes (pytest-xdist); TEST_WORKERS=0 runs it in this one.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist worksteal)

$(LINT_STAMP): pyproject.toml uv.lock | $(STAMP)
	$(UV) sync --locked --inexact --extra test --extra lint --quiet
	@touch $(LINT_STAMP)

# Style (ruff), types (mypy, configured in pyproject.toml) and the import contracts that keep the
# layers one-way (import-linter).
lint: check-lock $(LINT_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# Rewrites uv.lock after pyproject.toml changed, keeping every pin that still fits;
# `make lock UPGRADE=1` moves every pin to the newest release allowed.
lock: | $(UV_STAMP)
	$(UV) lock $(if $(UPGRADE),--upgrade)

check-lock: | $(UV_STAMP)
	$(check_lock)

# Every figure of issue 14 beside its goal (bench/README.md); QUICK=1 for a run of minutes.
bench: $(STAMP)
	$(BIN)/python bench/all.py $(if $(QUICK),--quick)

clean:
	rm -rf $(VENV) var build *.egg-info
