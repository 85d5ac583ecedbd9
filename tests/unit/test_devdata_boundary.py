"""Product, development data and benchmarks stay apart (issue #14 item 7).

``devdata`` (the demo and scale seeds) may import the product; the product never imports
``devdata``, so it could be dropped from INSTALLED_APPS (or the wheel) without breaking anything
but the seed commands. ``bench/`` uses ``devdata.scale`` through its public names only, so the
seed's internals can change without breaking the benchmarks.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEVDATA = "devdata"
# Top-level packages with an apps.py that are not product code.
NOT_PRODUCT = {DEVDATA, "bench", "tests", "scripts", ".venv", "var", "build"}


def _product_packages() -> list[Path]:
    # Every app of the project (config included: it has apps.py), so apps added later are covered.
    return sorted(p.parent for p in ROOT.glob("*/apps.py") if p.parent.name not in NOT_PRODUCT)


def _imported_modules(path: Path):
    """(line, module, names) for every import in ``path``; names is () for ``import x``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, ()
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module, tuple(alias.name for alias in node.names)


def _is_devdata(module: str) -> bool:
    return module == DEVDATA or module.startswith(DEVDATA + ".")


def test_product_apps_never_import_devdata():
    packages = _product_packages()
    assert {"hiring", "candidates", "followups", "config"} <= {p.name for p in packages}
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for package in packages
        for path in package.rglob("*.py")
        for line, module, names in _imported_modules(path)
        if _is_devdata(module)
    ]
    assert offending == []


def test_bench_uses_only_public_names_of_devdata():
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {module}.{name}"
        for path in (ROOT / "bench").rglob("*.py")
        for line, module, names in _imported_modules(path)
        if _is_devdata(module)
        for name in names
        if name.startswith("_")
    ]
    assert offending == []


def test_devdata_is_installed_after_the_product_apps():
    from django.conf import settings

    apps = settings.INSTALLED_APPS
    assert DEVDATA in apps
    product = [name for name in apps if name.split(".")[0] in {p.name for p in _product_packages()}]
    assert apps.index(DEVDATA) > max(apps.index(name) for name in product)
