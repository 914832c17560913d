# qingzhai — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test lint fmt serve bench migration i18n clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -e '.[dev,voice]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/qingzhai demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -n 2 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

fmt: $(STAMP)
	$(BIN)/ruff check --fix .

serve: $(STAMP)
	$(BIN)/qingzhai serve

bench: $(STAMP)
	for f in benchmarks/*.py; do $(BIN)/python $$f || exit 1; done

# make migration MSG="what changed"
migration: $(STAMP)
	rm -f /tmp/qingzhai-migration.db
	QINGZHAI_DATABASE_URL=sqlite:////tmp/qingzhai-migration.db $(BIN)/qingzhai db upgrade
	$(BIN)/python -c "from qingzhai.db import migrate; migrate.revision('sqlite:////tmp/qingzhai-migration.db', '$(MSG)')"

# extract user-facing messages into the catalogs (then translate the zh_CN entries)
i18n: $(STAMP)
	$(BIN)/pybabel extract -k _ -k N_ -o src/qingzhai/locale/qingzhai.pot src/qingzhai
	$(BIN)/pybabel update -i src/qingzhai/locale/qingzhai.pot -d src/qingzhai/locale -D qingzhai --no-fuzzy-matching

clean:
	rm -rf $(VENV) qingzhai-demo.db* .pytest_cache .ruff_cache .hypothesis
