# Two commands for a fresh Debian/Ubuntu machine with Python 3.11+:
#   make run    install into .venv and serve the app on http://localhost:8501 (PORT=...); Home
#               has a button that loads the sample workspace
#   make test   install into .venv (with test tools) and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test lint install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt pyproject.toml
	@echo "Installing the app's packages into $(VENV) (a few minutes the first time)..."
	$(BIN)/pip install --disable-pip-version-check --progress-bar on -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt requirements-nodeps.txt
	@echo "Installing the test tools..."
	$(BIN)/pip install --disable-pip-version-check --quiet -r requirements-dev.txt
	$(BIN)/pip install --disable-pip-version-check --quiet --no-deps -r requirements-nodeps.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	@echo "stockcycle: open http://localhost:$(PORT) in your browser (Ctrl+C stops the app)"
	$(BIN)/python -m streamlit run app.py --server.port $(PORT) --server.headless true

test: install-dev
	$(BIN)/ruff check src tests benchmarks app.py pages
	$(BIN)/python -m pytest -n 2 -q

lint: install-dev
	$(BIN)/ruff check src tests benchmarks app.py pages
	$(BIN)/ruff format --check src tests benchmarks app.py pages

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
