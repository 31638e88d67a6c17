"""DESIGN.md's dependency rule is an import-linter contract (pyproject.toml, `make lint`);
this shows the contract holds on the tree and bites on a forbidden import."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def copy_of_the_tree(target: Path) -> Path:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for package in config["tool"]["importlinter"]["root_packages"]:
        shutil.copytree(
            ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_tree_keeps_the_dependency_rule(tmp_path):
    result = lint_imports(copy_of_the_tree(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("billing.services.payments", "enrollments.models"),  # upward
        ("workshops.selectors", "billing.models"),  # across: the two never import each other
        ("outbox.services", "workshops.models"),  # upward from the bottom
    ],
)
def test_a_forbidden_import_breaks_the_contract(tmp_path, module, forbidden):
    tree = copy_of_the_tree(tmp_path)
    source = tree / (module.replace(".", "/") + ".py")
    source.write_text(source.read_text() + f"\nimport {forbidden}\n")

    result = lint_imports(tree)

    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert f"{module} -> {forbidden}" in result.stdout


def test_an_entry_point_may_import_any_app(tmp_path):
    tree = copy_of_the_tree(tmp_path)
    admin = tree / "workshops" / "admin.py"
    admin.write_text(admin.read_text() + "\nfrom surveys.services import survey_submit\n")

    assert lint_imports(tree).returncode == 0


def test_djangos_system_checks_pass():
    """Workers skip them (config/celery.py): here and at release they are run."""
    call_command("check", fail_level="WARNING")
