"""The built wheel carries every app of the project, and each imports from the wheel alone."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Not part of the product: development tooling, benchmarks and tests stay out of the wheel.
NOT_PACKAGED = {".git", ".venv", "var", "build", "bench", "tests", "scripts", "static", "templates"}

IMPORT_EVERY_APP = """
import importlib, pkgutil, sys
import django
from django.apps import apps
django.setup()
local = [c for c in apps.get_app_configs() if not c.path.startswith(sys.base_prefix)
         and "site-packages" not in c.path or c.name in {names!r}]
missing = set({names!r}) - {{c.name for c in apps.get_app_configs()}}
assert not missing, missing
for config in apps.get_app_configs():
    if config.name not in {names!r}:
        continue
    assert config.path.startswith({wheel_dir!r}), (config.name, config.path)
    for module in pkgutil.walk_packages([config.path], prefix=config.name + "."):
        importlib.import_module(module.name)
print("ok", len({names!r}))
"""


def _project_apps() -> set[str]:
    # config/apps.py only customises django.contrib.admin (its app is named that, not "config"):
    # config is checked as a package of the wheel below, and django.setup() imports it from there.
    return {
        path.parent.name
        for path in ROOT.glob("*/apps.py")
        if path.parent.name not in NOT_PACKAGED | {"config"}
    }


def test_wheel_contains_every_app_and_each_imports_from_it(tmp_path):
    source = tmp_path / "source"
    # Built from a copy: an in-tree build would leave build/ and *.egg-info in the checkout.
    shutil.copytree(
        ROOT, source, ignore=shutil.ignore_patterns(*NOT_PACKAGED, "*.egg-info", "__pycache__")
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", tmp_path],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("persist-*.whl")
    apps = _project_apps()
    assert {"audit", "candidates", "followups", "hiring", "privacy"} <= apps
    with zipfile.ZipFile(wheel) as archive:
        top_level = {name.split("/")[0] for name in archive.namelist()}
        archive.extractall(tmp_path / "wheel")
    assert apps | {"config"} <= top_level, f"missing from the wheel: {apps - top_level}"

    wheel_dir = str(tmp_path / "wheel")
    script = IMPORT_EVERY_APP.format(names=sorted(apps), wheel_dir=wheel_dir)
    result = subprocess.run(
        [sys.executable, "-c", script],
        # The checkout is not on the path: only the unpacked wheel and installed dependencies.
        cwd=tmp_path,
        env={
            "PYTHONPATH": wheel_dir,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "packaging-test",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/persist",
            "PERSIST_VAR_DIR": str(tmp_path / "var"),
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("ok")
