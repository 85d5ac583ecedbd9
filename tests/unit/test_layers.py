"""The layers contract ([tool.importlinter] in pyproject.toml) holds, and it is a real check: an
import from a lower app into a higher one breaks it."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")
APPS = (
    "config",
    "accounts",
    "audit",
    "twofactor",
    "hiring",
    "candidates",
    "followups",
    "silence",
    "scoring",
    "dashboards",
    "privacy",
)


def _lint(tree: Path) -> subprocess.CompletedProcess:
    # PYTHONPATH first: the copy's packages, not the editable install's, are analysed.
    return subprocess.run(
        [str(LINT), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    shutil.copy(ROOT / "pyproject.toml", tree)
    for app in APPS:
        shutil.copytree(
            ROOT / app, tree / app, ignore=shutil.ignore_patterns("__pycache__", "migrations")
        )
    return tree


def test_the_apps_keep_their_layers(tmp_path):
    result = _lint(_copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_a_lower_app_importing_a_higher_one_breaks_the_contract(tmp_path):
    tree = _copy(tmp_path)
    (tree / "candidates" / "upward.py").write_text("from scoring.scores import score_for\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "candidates is not allowed to import scoring" in result.stdout
    assert "candidates.upward -> scoring.scores" in result.stdout
