# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# Each creates or reuses the virtual environments below from the pinned files in requirements/.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# The tools' environments (SAM CLI, checkov); the project's own runs on python3.12 (below).
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
# Override with `make PY312_DIR=/path/to/bin ...`. Recursive (=): only the targets using it pay for the lookup.
PY312_DIR = $(shell d=$$(pyenv prefix 3.12 2>/dev/null \
	  || ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12* 2>/dev/null | sort -V | tail -n1 || true); \
	if [ -n "$$d" ] && [ -x "$$d/bin/python3.12" ]; then echo "$$d/bin"; \
	else p=$$(type -P python3.12 || true); [[ -z "$$p" || "$$p" == */shims/* ]] || dirname "$$p"; fi)

# The targets that need python3.12 (the project's environment, sam build) stop with this when there is none.
NEED_PY312 = d="$(PY312_DIR)"; [ -n "$$d" ] && [ -x "$$d/python3.12" ] || { \
	  echo "make $@: no python3.12 found (looked at 'pyenv prefix 3.12', \
	$${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12*, and PATH). The project runs on the Lambda runtime's Python: \
	run 'pyenv install 3.12', or 'make $@ PY312_DIR=/dir/holding/python3.12'." >&2; exit 1; }

.PHONY: help demo test unit bench openapi venv tools system-deps kubernetes lint typecheck layers \
	sam-validate cfn-lint checkov build pytest diagrams clean aws-acceptance

# `make help` lists every target with the text after its `##`.
help: ## this list
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  make \1\t\2/' | expand -t 22

# The tests run on the interpreter production runs, the Lambda runtime's Python 3.12 (a worker of theirs
# crashed on 3.11 in garbage collection, with handlers setting context variables from many threads). --clear:
# an environment made by an older Python is replaced, not patched.
$(VENV)/.installed: requirements/project.txt pyproject.toml
	@$(NEED_PY312)
	"$(PY312_DIR)/python3.12" -m venv --clear $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements/project.txt 2>&1 | $(PIP_QUIET)
	$(VENV)/bin/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . 2>&1 | $(PIP_QUIET)
	$(PY) -c "import moto, boto3, aws_lambda_powertools, samtranslator, batch_on_eks_cli" 
	touch $@

$(TOOLS)/%/.installed: requirements/%.txt
	$(PY_BASE) -m venv $(TOOLS)/$*
	$(TOOLS)/$*/bin/pip install -q --disable-pip-version-check -r requirements/$*.txt 2>&1 | $(PIP_QUIET)
	touch $@

venv: $(VENV)/.installed ## the project's virtual environment (.venv), from requirements/project.txt
tools: $(TOOLS)/sam/.installed $(TOOLS)/checkov/.installed ## SAM CLI and checkov, each in its own environment under .tools/

# Debian's bubblewrap confines the commands of emulated jobs.
system-deps: ## Debian's bubblewrap, which confines the commands of emulated jobs
	@command -v bwrap >/dev/null || { echo "installing bubblewrap (Debian) for the job sandbox"; \
	  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; }

# kube-apiserver, kube-controller-manager and etcd from Debian's packages, built once into a cache outside
# the clone (local/kubernetes/build.sh says how); a no-op when cached.
kubernetes: ## kube-apiserver, controller-manager and etcd from Debian's source (once, cached)
	@bash local/kubernetes/build.sh

lint: venv ## ruff: lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv ## mypy (strict) on the product, the embedded AWS and the scripts
	$(VENV)/bin/mypy

# The import-linter contracts in pyproject.toml: the layers, boto3 only in the aws layer, no cycles.
layers: venv ## the layering contracts (import-linter): layers, boto3 only in aws/, no cycles
	PYTHONPATH=layers/common:. $(VENV)/bin/lint-imports --no-cache

# The fast loop: the pure tests, with sockets and subprocesses refused (tests/unit/conftest.py).
unit: venv ## the unit tests alone, no network, no subprocess: seconds
	@start=$$(date +%s%N); $(VENV)/bin/pytest -q -p no:cacheprovider tests/unit --disable-socket; \
	  echo "make unit: $$(( ($$(date +%s%N) - start) / 1000000 )) ms"

sam-validate: tools ## sam validate --lint
	$(SAM) validate --lint --template $(TEMPLATE)

cfn-lint: venv ## cfn-lint with the serverless rules
	$(VENV)/bin/cfn-lint --append-rules cfn_lint_serverless.rules -- $(TEMPLATE)

checkov: tools ## checkov on template.yaml
	$(CHECKOV) --quiet --compact --skip-download --framework cloudformation -f $(TEMPLATE)

# The functions' and the layer's architecture: the stack's Architecture parameter (x86_64 or arm64). SAM
# gives a makefile build (the layer's) no architecture, so the same value goes to sam build's parameter
# (the functions, the layer's BuildArchitecture) and, through the environment, to layers/common/Makefile
# (the wheels it installs). A cache per architecture: SAM's cache key does not see the environment.
ARCHITECTURE ?= x86_64
BUILD_DIR    ?= .aws-sam/build
build: tools ## sam build (needs Python 3.12, the Lambda runtime); ARCHITECTURE=arm64 for Graviton
	@$(NEED_PY312)
	PATH="$(PY312_DIR):$$PATH" ARCHITECTURE="$(ARCHITECTURE)" $(SAM) build --template $(TEMPLATE) \
	  --build-dir "$(BUILD_DIR)" --cache-dir ".aws-sam/cache-$(ARCHITECTURE)" \
	  --parameter-overrides Architecture=$(ARCHITECTURE)

# The tests wait on Step Functions, events and API servers far more than they compute: three workers keep two
# cores busy. A test file stays on one worker (its module-scoped embedded AWS is started once). The
# schemathesis file runs on its own, in one process: under pytest-xdist with a file per worker, its
# per-operation subtests (schemathesis 4.32.5, pytest 9.2, xdist 3.8) ran only the first operation.
PYTEST_WORKERS ?= 3
SCHEMATHESIS_TESTS := tests/api/test_api_schemathesis.py
pytest: venv system-deps kubernetes ## every test, in parallel, against the embedded AWS
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadfile --ignore=$(SCHEMATHESIS_TESTS)
	$(VENV)/bin/pytest $(SCHEMATHESIS_TESTS)

test: lint typecheck layers sam-validate cfn-lint checkov build pytest ## the whole suite: what CI runs

# The committed OpenAPI document, regenerated from the API's routes (a test fails when the two drift).
openapi: venv ## regenerate the committed openapi.json from the code
	PYTHONPATH=layers/common $(PY) scripts/openapi_document.py openapi.json

demo: venv system-deps kubernetes ## the blueprint's walkthrough, end to end, on the embedded AWS (ARGS=--keep)
	$(PY) -m local.demo $(ARGS)

bench: venv system-deps build ## the benchmark: cold imports of the built layer, states, latency, load, arrays, costs
	PYTHONPATH=layers/common:. $(PY) -m local.bench --python "$(PY312_DIR)/python3.12" $(ARGS)

# The walkthrough on a real account, with your credentials; refuses without CONFIRM=yes (it creates billable
# resources). ARGS: --environment NAME (use an existing one, left up), --region, --admin-principal-arn.
aws-acceptance: venv ## the walkthrough against a deployed stack: STACK=<name> CONFIRM=yes (it costs; see docs/deployment.md)
	@test -n "$(STACK)" || { echo "make aws-acceptance STACK=<your stack's name> CONFIRM=yes"; exit 2; }
	PYTHONPATH=layers/common $(PY) scripts/aws_acceptance.py --stack "$(STACK)" \
	  $(if $(filter yes,$(CONFIRM)),--confirm-billable-resources) $(ARGS)

clean: ## remove the environments and caches
	rm -rf $(VENV) $(TOOLS) .aws-sam .pytest_cache .mypy_cache .ruff_cache

# docs/architecture.md's Mermaid diagrams, generated from template.yaml and the ASL (a test fails on drift).
diagrams: venv ## regenerate docs/architecture.md's diagrams from the template and the state machines
	$(PY) scripts/diagrams.py
