# Every target installs what it needs into .venv first, so each works on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test bench eval eval-baseline clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/reviewer serve

test: $(STAMP)
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) data .pytest_cache .hypothesis

bench: $(STAMP)
	$(BIN)/python -m reviewer.benchmark

# The eval gate: golden + robustness suites against the accepted baseline; report in eval-report/.
eval: $(STAMP)
	$(BIN)/reviewer eval --cases evals/golden --cases evals/robustness --repeat 2 --report eval-report --baseline evals/baseline.json

# After reading the report and accepting the new figures: regenerate variants, save the baseline.
eval-baseline: $(STAMP)
	$(BIN)/reviewer eval variants --from evals/golden --out evals/robustness
	$(BIN)/reviewer eval --cases evals/golden --cases evals/robustness --repeat 2 --report eval-report --write-baseline evals/baseline.json
