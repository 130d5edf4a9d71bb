# Two commands on a fresh machine with only Python: `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo

# The first interpreter that really is Python >= 3.12. pyenv's shims exist but fail unless
# selected, so each candidate is asked for its version rather than trusted by name.
PYTHON_CANDIDATES := python3.13 python3.12 \
	$(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) \
	$(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) \
	$(wildcard /root/.pyenv/versions/3.13*/bin/python3.13) \
	$(wildcard /root/.pyenv/versions/3.12*/bin/python3.12) \
	python3
BASE_PYTHON ?= $(shell for p in $(PYTHON_CANDIDATES); do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { command -v $$p || echo $$p; } && break; \
	done)

.PHONY: help demo test lint messages compile-messages bench lock clean

help:
	@echo "make demo      chat with the bot in your browser at http://127.0.0.1:8080"
	@echo "make test      ruff, mypy and the whole test suite (browser test included)"
	@echo "make messages  extract, update and compile the gettext catalogs"
	@echo "make bench     benchmarks, figures beside their baselines"

$(PY):
	@test -n "$(BASE_PYTHON)" || { echo "tipbot needs Python 3.12 or newer; none found" >&2; exit 1; }
	$(BASE_PYTHON) -m venv $(VENV)

# The demo needs the bot and the demo extra; the tests and the linters the dev extra too.
$(DEMO_STAMP): pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[demo]'
	touch $(DEMO_STAMP)

$(STAMP): pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,demo]'
	touch $(STAMP) $(DEMO_STAMP)

compile-messages: $(DEMO_STAMP)
	$(PY) -m bot.i18n_tools compile

messages: $(STAMP)
	$(PY) -m bot.i18n_tools extract
	$(PY) -m bot.i18n_tools update
	$(PY) -m bot.i18n_tools compile

demo: compile-messages
	$(PY) -m bot.cli demo

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

test: lint compile-messages
	$(PY) -m pytest -q $(PYTEST_ARGS)

bench: compile-messages
	$(PY) -m bench

lock: $(STAMP)
	$(PY) -m pip freeze --all --exclude pip --exclude-editable | sed '1i # Exact versions for a fresh machine; regenerate with `make lock`.' > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
