# Two commands on a fresh machine with Python 3.11+:
#   make preview   offline preview of the dev stack (STACK=dr, STACK=marketing, ...)
#   make test      the whole test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STACK  ?= dev

.PHONY: preview test policy cost diagrams bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

preview: $(VENV)/.installed
	$(PY) -m offline.preview $(STACK)

policy: $(VENV)/.installed
	$(PY) -m offline.preview $(STACK) --policy --quiet

# Monthly cost of a stack: fixed vs usage-based, DR against primary, each cost switch's saving.
# USAGE=file.yaml prices the usage-based lines ({resource|'*': {price id: monthly quantity}}).
cost: $(VENV)/.installed
	$(PY) -m offline.cost $(STACK) $(if $(USAGE),--usage $(USAGE))

test: $(VENV)/.installed
	$(PY) -m pytest -q

# Diagrams of the shipped stacks under docs/diagrams (SVG/PNG when Graphviz `dot` is installed).
diagrams: $(VENV)/.installed
	for s in dev dr marketing; do $(PY) -m offline.preview $$s --diagram docs/diagrams --quiet > /dev/null; done

# Speed and memory of the offline run and of the policy check; writes docs/benchmarks.md (~10 min).
bench: $(VENV)/.installed
	$(PY) bench/benchmark.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis out build
