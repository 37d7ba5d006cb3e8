"""The layering written down in ``pyproject.toml`` (import-linter contracts) holds, and the check can fail:
a module with a forbidden import, written into a copy of the tree, breaks it. And the handlers stay thin:
each imports only the domain's entry point and the Powertools pieces it needs."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": f"{root / 'layers' / 'common'}{os.pathsep}{root}"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """The packages import-linter reads, and its configuration, copied."""
    copy = tmp_path / "tree"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(
        REPO_ROOT / "layers" / "common" / "batch_on_eks", copy / "layers/common/batch_on_eks", ignore=ignore
    )
    shutil.copytree(REPO_ROOT / "local", copy / "local", ignore=ignore)
    shutil.copy(REPO_ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def test_the_contracts_are_kept() -> None:
    # When import-linter checks the repository's packages against pyproject.toml's contracts
    checked = lint_imports(REPO_ROOT)
    # Then every contract is kept
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "broken" not in checked.stdout.lower().replace("0 broken", "")


@pytest.mark.parametrize(
    ("module", "source", "contract"),
    [
        # the aws layer reaching up into a capability
        ("aws/upward.py", "from batch_on_eks.runs import submit\n", "The domain's layers"),
        # one capability reaching into another
        ("runs/sideways.py", "from batch_on_eks.environments import steps\n", "The domain's layers"),
        # boto3 outside the aws layer
        ("runs/direct_boto3.py", "import boto3\n", "Only the aws layer calls AWS"),
        # the product importing the embedded AWS
        ("models/emulated.py", "import local.dataplane\n", "never imports the embedded AWS"),
        # a cycle hidden in a function
        (
            "clock.py",
            "\n\ndef _hidden() -> None:\n    from batch_on_eks.observability import logger  # noqa\n",
            "No import cycles",
        ),
    ],
)
def test_a_forbidden_import_breaks_the_check(
    tree_copy: Path, module: str, source: str, contract: str
) -> None:
    # Given a copy of the tree with one module that imports what its layer may not
    target = tree_copy / "layers" / "common" / "batch_on_eks" / module
    if module == "clock.py":  # the shared base importing its sibling, which imports it back
        (tree_copy / "layers/common/batch_on_eks/observability.py").write_text(
            (REPO_ROOT / "layers/common/batch_on_eks/observability.py").read_text()
            + "\nfrom batch_on_eks import clock  # noqa: E402\n"
        )
        target.write_text(target.read_text() + source)
    else:
        target.write_text(source)
    # When import-linter checks the copy
    checked = lint_imports(tree_copy)
    # Then it fails, naming the contract the import breaks
    assert checked.returncode != 0, checked.stdout
    assert contract in " ".join(checked.stdout.split()), checked.stdout


HANDLER_IMPORTS = {"typing", "aws_lambda_powertools.logging"}


@pytest.mark.parametrize(
    "app", sorted((REPO_ROOT / "functions").glob("*/app.py")), ids=lambda p: p.parent.name
)
def test_a_handler_calls_one_entry_point_named_after_its_folder(app: Path) -> None:
    # Given a function's handler
    tree = ast.parse(app.read_text())
    imported = {
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }
    plain = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    # Then it imports no AWS SDK, no local/ and nothing from another function: only the domain and typing
    assert not plain, f"{app}: plain imports {plain}"
    for module, _name in imported:
        assert module.startswith("batch_on_eks.") or module in HANDLER_IMPORTS, f"{app}: imports {module}"
    # And the entry point it calls is named after its folder
    assert app.parent.name in {name for _module, name in imported}, f"{app}: no entry point {app.parent.name}"
