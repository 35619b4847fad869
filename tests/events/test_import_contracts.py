"""import-linter keeps the bounded contexts apart: prove the contracts bite on a
deliberate violation in a scratch copy of the tree, and that the real tree is clean."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(cwd / "pyproject.toml"), "--no-cache"],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(cwd)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def scratch_tree(tmp_path):
    shutil.copytree(ROOT / "flowmart", tmp_path / "flowmart", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_a_context_importing_another_context_is_reported(scratch_tree):
    scratch = scratch_tree / "flowmart" / "orders" / "_scratch.py"
    scratch.write_text('"""Deliberate violation."""\n\nimport flowmart.inventory  # noqa: F401\n')
    result = lint_imports(scratch_tree)
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout
    assert "flowmart.orders._scratch -> flowmart.inventory" in result.stdout


def test_the_shared_kernel_importing_a_context_is_reported(scratch_tree):
    scratch = scratch_tree / "flowmart" / "events" / "_scratch.py"
    scratch.write_text('"""Deliberate violation."""\n\nfrom flowmart import payments  # noqa: F401\n')
    result = lint_imports(scratch_tree)
    assert result.returncode != 0, result.stdout
    assert "The shared kernel (events, contracts, common) knows no context BROKEN" in result.stdout


def test_the_real_tree_keeps_every_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
