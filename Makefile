# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint pytest clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

## make run: install, migrate the embedded SQLite database, load the demo city, serve on :8000
run: export WANGBAN_DEMO = 1
run: $(STAMP)
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py load_demo
	$(PY) manage.py serve

## make test: lint, types and the whole suite (PostgreSQL when DATABASE_URL is set)
test: $(STAMP)
ifneq ($(SKIP_LINT),1)
	$(MAKE) --no-print-directory lint
endif
	$(MAKE) --no-print-directory pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	# django-stubs imports the settings; demo mode lets them load without production keys.
	WANGBAN_DEMO=1 $(VENV)/bin/mypy .

pytest: $(STAMP)
	$(PY) -m pytest -n $(or $(PYTEST_WORKERS),2) $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var
