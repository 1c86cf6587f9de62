"""Every third-party module the portal imports at run time is pinned in requirements.txt.

``make run`` and a production install take requirements.txt only; a module
pinned in requirements-dev.txt alone (as pypdf once was, for the evidence
check of PDF uploads) is there in the tests and missing in service.
"""

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_SOURCES = [*sorted((ROOT / "portal").rglob("*.py")), ROOT / "app.py", ROOT / "wsgi.py", ROOT / "gunicorn.conf.py"]
OWN_PACKAGES = {"portal", "tests", "bench"}


def _normalised(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_distributions(path):
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(_normalised(re.split(r"[\[=<>~!;\s]", line, maxsplit=1)[0]))
    return names


def imported_top_level_modules(paths):
    modules = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - OWN_PACKAGES


def test_every_runtime_import_is_pinned_in_requirements_txt():
    pinned = pinned_distributions(ROOT / "requirements.txt")
    providers = packages_distributions()
    unpinned = {
        module: providers.get(module, ["(not installed)"])
        for module in imported_top_level_modules(RUNTIME_SOURCES)
        if not any(_normalised(distribution) in pinned for distribution in providers.get(module, []))
    }
    assert not unpinned, f"imported at run time but not pinned in requirements.txt: {unpinned}"
