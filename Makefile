# Two commands on a fresh machine with Python 3.11+:
#   make preview   offline preview of the dev stack (STACK=dr, STACK=marketing, ...)
#   make test      the whole test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STACK  ?= dev

.PHONY: preview test policy diagrams bench layers clean

DAX_LAYER := build/layers/dax/python/amazondax

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# The DAX client layer the Lambda services attach when their data product has DAX.
$(DAX_LAYER): functions/layers/dax-requirements.txt | $(VENV)/.installed
	$(PY) -m pip install --quiet --no-deps --target build/layers/dax/python -r functions/layers/dax-requirements.txt
	touch $@

layers: $(DAX_LAYER)

preview: $(VENV)/.installed $(DAX_LAYER)
	$(PY) -m offline.preview $(STACK)

policy: $(VENV)/.installed $(DAX_LAYER)
	$(PY) -m offline.preview $(STACK) --policy --quiet

test: $(VENV)/.installed $(DAX_LAYER)
	$(PY) -m pytest -q

# Diagrams of the shipped stacks under docs/diagrams (SVG/PNG when Graphviz `dot` is installed).
diagrams: $(VENV)/.installed $(DAX_LAYER)
	for s in dev dr marketing; do $(PY) -m offline.preview $$s --diagram docs/diagrams --quiet > /dev/null; done

# Speed and memory of the offline run and of the policy check; writes docs/benchmarks.md (~10 min).
bench: $(VENV)/.installed $(DAX_LAYER)
	$(PY) bench/benchmark.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis out build
