# Two commands on a fresh machine with Python 3.11+:
#   make preview   offline preview of the dev stack (STACK=dr, STACK=marketing, ...)
#   make test      the whole test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STACK  ?= dev

.PHONY: preview test policy diagrams bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

preview: $(VENV)/.installed
	$(PY) -m offline.preview $(STACK)

policy: $(VENV)/.installed
	$(PY) -m offline.preview $(STACK) --policy --quiet

test: $(VENV)/.installed
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis out
