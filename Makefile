# lightgrad: the single entry point. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Debian packages the project needs (none yet for the engine; later issues add theirs here).
APT_PACKAGES :=
JOBS   ?= 2

.PHONY: run test lint bench examples clean apt

apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# the package with the examples' extras (matplotlib for the pictures, scikit-learn for the digits)
$(VENV)/.base-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[examples]'
	@touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $@ $(VENV)/.base-installed

run: apt $(VENV)/.base-installed
	$(BIN)/python -m lightgrad.cli examples

test: apt $(VENV)/.test-installed
	$(BIN)/python -m pytest -q -n $(JOBS) -m "not slow" tests
	$(BIN)/python -m pytest -q --doctest-modules lightgrad

lint: $(VENV)/.test-installed
	$(BIN)/ruff check lightgrad tests examples
	$(BIN)/mypy lightgrad

examples: $(VENV)/.base-installed
	$(BIN)/python -m lightgrad.cli examples

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
