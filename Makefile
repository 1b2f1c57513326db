# Two commands on a fresh machine: `make run` and `make test`. Everything lives in .venv.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin

.PHONY: setup run test app bench browser clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[app,batch,plot,test]'
	touch $@

setup: $(BIN)/.installed

run: setup
	$(BIN)/quota-sim run

# The tests run in one process per core (pytest-xdist), each test module kept in one process. The modules
# are handed out in the order tests/conftest.py gives (those that start servers, clusters and builds
# first, then file order), not fewest-tests-last, which would start those last and leave the other
# process idle at the end. Bytecode is cached even where PYTHONDONTWRITEBYTECODE is set: else every
# Python process the tests start (CLI runs, batches, app servers) compiles the package again.
test: setup
	$(BIN)/ruff check .
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -n auto --dist loadscope --no-loadscope-reorder

app: setup
	$(BIN)/quota-sim app

bench: setup
	$(BIN)/python bench/bench_core.py

# Debian's Chromium for the real-browser test of the app (needs root).
browser:
	command -v chromium >/dev/null && fc-list :lang=zh | grep -q . || (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk)

clean:
	rm -rf $(VENV) results build *.egg-info
