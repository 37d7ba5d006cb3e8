# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# Each creates or reuses the virtual environments below from the pinned files in requirements/.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PY_BASE   ?= python3
VENV      := .venv
TOOLS     := .tools
PY        := $(VENV)/bin/python
SAM       := $(TOOLS)/sam/bin/sam
CHECKOV   := $(TOOLS)/checkov/bin/checkov
TEMPLATE  := template.yaml
# pip on this kind of machine warns about index folders that do not exist; the warnings are noise.
# Braces: `|| true` covers only grep finding nothing to print; a failing pip still fails (pipefail).
PIP_QUIET := { grep -v '^WARNING: Location' || true; }
export SAM_CLI_TELEMETRY := 0
export PYTHONDONTWRITEBYTECODE := 1

# `sam build` needs a real python3.12 first on PATH (the pyenv shim fails unless told a version):
# pyenv's newest 3.12, else its versions folder, else a python3.12 that is not a pyenv shim.
# Override with `make build PY312_DIR=/path/to/bin`. Recursive (=): only `build` pays for the lookup.
PY312_DIR = $(shell d=$$(pyenv prefix 3.12 2>/dev/null \
	  || ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12* 2>/dev/null | sort -V | tail -n1 || true); \
	if [ -n "$$d" ] && [ -x "$$d/bin/python3.12" ]; then echo "$$d/bin"; \
	else p=$$(type -P python3.12 || true); [[ -z "$$p" || "$$p" == */shims/* ]] || dirname "$$p"; fi)

.PHONY: openapi help venv tools system-deps kubernetes lint typecheck sam-validate cfn-lint checkov build pytest test demo bench clean

help:
	@echo "make demo   the blueprint's job, end to end, on the embedded AWS (no AWS account)"
	@echo "make test   the whole suite: ruff, mypy, sam validate --lint, cfn-lint, checkov, sam build, pytest"
	@echo "make bench  the benchmark"

$(VENV)/.installed: requirements/project.txt
	$(PY_BASE) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements/project.txt 2>&1 | $(PIP_QUIET)
	$(PY) -c "import moto, boto3, aws_lambda_powertools, samtranslator" 
	touch $@

$(TOOLS)/%/.installed: requirements/%.txt
	$(PY_BASE) -m venv $(TOOLS)/$*
	$(TOOLS)/$*/bin/pip install -q --disable-pip-version-check -r requirements/$*.txt 2>&1 | $(PIP_QUIET)
	touch $@

venv: $(VENV)/.installed
tools: $(TOOLS)/sam/.installed $(TOOLS)/checkov/.installed

# Debian's bubblewrap confines the commands of emulated jobs.
system-deps:
	@command -v bwrap >/dev/null || { echo "installing bubblewrap (Debian) for the job sandbox"; \
	  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; }

# kube-apiserver, kube-controller-manager and etcd from Debian's packages, built once into a cache outside
# the clone (local/kubernetes/build.sh says how); a no-op when cached.
kubernetes:
	@bash local/kubernetes/build.sh

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy

sam-validate: tools
	$(SAM) validate --lint --template $(TEMPLATE)

cfn-lint: venv
	$(VENV)/bin/cfn-lint --append-rules cfn_lint_serverless.rules -- $(TEMPLATE)

checkov: tools
	$(CHECKOV) --quiet --compact --skip-download --framework cloudformation -f $(TEMPLATE)

build: tools
	@d="$(PY312_DIR)"; [ -n "$$d" ] && [ -x "$$d/python3.12" ] || { \
	  echo "make build: no python3.12 found (looked at 'pyenv prefix 3.12', \
	$${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12*, and PATH). sam build needs the Lambda runtime's Python: \
	run 'pyenv install 3.12', or 'make build PY312_DIR=/dir/holding/python3.12'." >&2; exit 1; }
	PATH="$(PY312_DIR):$$PATH" $(SAM) build --template $(TEMPLATE) --build-dir .aws-sam/build

pytest: venv system-deps kubernetes
	$(VENV)/bin/pytest

test: lint typecheck sam-validate cfn-lint checkov build pytest

# The committed OpenAPI document, regenerated from the API's routes (a test fails when the two drift).
openapi: venv
	PYTHONPATH=layers/common $(PY) -m batch_on_eks.api.openapi openapi.json

demo: venv system-deps kubernetes
	$(PY) -m local.demo $(ARGS)

bench: venv system-deps
	$(PY) -m local.bench $(ARGS)

clean:
	rm -rf $(VENV) $(TOOLS) .aws-sam .pytest_cache .mypy_cache .ruff_cache
