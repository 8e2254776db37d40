# The two commands of the README: `make run` and `make test`. Both set everything up first.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: setup run test lint screenshots bench clean

setup:
	@bash scripts/setup.sh

## Launch the app (on its sample project the first time). Without a display, on Xvfb.
run: setup
	@bash scripts/run.sh $(ARGS)

## The whole test suite, offscreen.
test: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .

## Re-render the README's screenshots with the app itself.
screenshots: setup
	@for p in dataset editor train evaluate detect live; do \
	  $(PY) -m penguin_studio --screenshot resources/screenshots/$$p.png --panel $$p || exit 1; \
	done

bench: setup
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
