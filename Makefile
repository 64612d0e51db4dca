# Two commands on a fresh machine: `make run` and `make test`. Both install what they need.

TOOLS := .tools
UV := $(TOOLS)/bin/uv
PYTEST_ARGS ?=

.PHONY: install run test lint typecheck check bench clean

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv

install: $(UV)
	$(UV) sync --all-packages --locked

run: install
	$(UV) run python deploy/run.py

test: install
	$(UV) run pytest $(PYTEST_ARGS)

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check contracts runtime services

typecheck: install
	$(UV) run mypy contracts/src runtime/src services/*/src

check: lint typecheck test

bench: install
	$(UV) run python -m bench.run_all

clean:
	rm -rf $(TOOLS) .venv var
