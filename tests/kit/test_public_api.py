"""The declared public API: every ``__all__`` name resolves, the README and the docs site import
only what an ``__all__`` declares (or a listed exception), and ``import mockcanvas`` stays cheap."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import mockcanvas

ROOT = Path(__file__).resolve().parents[2]

# The package and the subpackages and modules users import by name, each with its own __all__.
PUBLIC_MODULES = (
    "mockcanvas",
    "mockcanvas.schemas",
    "mockcanvas.scenario",
    "mockcanvas.sinks",
    "mockcanvas.strategies",
    "mockcanvas.testing",
)

# What the docs import today from outside any __all__: internals they reach into. The layout
# step (issue 15 item 1) gives each a public home; then it leaves this list.
README_INTERNALS = {
    ("mockcanvas", "progress_bar"),
    ("mockcanvas.events", "Inbox"),
    ("mockcanvas.events", "LiveEvent"),
    ("mockcanvas.openapi", "local_uri"),
    ("mockcanvas.state", "reset"),
}

_FROM_IMPORT = re.compile(
    r"^\s*from\s+(mockcanvas(?:\.\w+)*)\s+import\s+(\([^)]*\)|[^\n#]+)", re.MULTILINE
)
_IMPORT = re.compile(r"^\s*import\s+(mockcanvas(?:\.\w+)*)", re.MULTILINE)


def _docs_text() -> str:
    """The README and every page of the docs site: what users are told to import."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return "\n".join(page.read_text(encoding="utf-8") for page in pages)


def _readme_imports() -> list[tuple[str, str]]:
    text = _docs_text()
    found = []
    for module, names in _FROM_IMPORT.findall(text):
        for name in names.strip("()").split(","):
            name = name.split(" as ")[0].strip()
            if name:
                found.append((module, name))
    return found


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_name_in_all_resolves(module_name):
    module = importlib.import_module(module_name)
    names = module.__all__
    assert len(names) == len(set(names)), f"{module_name}.__all__ repeats a name"
    missing = [name for name in names if not hasattr(module, name)]
    assert not missing, f"{module_name}.__all__ names what it does not define: {missing}"


def test_the_package_lists_its_lazy_names():
    assert set(mockcanvas._LAZY) <= set(mockcanvas.__all__)
    assert set(mockcanvas.__all__) <= set(dir(mockcanvas))
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = mockcanvas.nothing_here


def test_readme_imports_only_declared_names():
    imports = _readme_imports()
    assert len(imports) >= 10, "the README's imports were not found"
    undeclared = []
    for module_name, name in imports:
        if (module_name, name) in README_INTERNALS:
            continue
        module = importlib.import_module(module_name)
        if module_name == "mockcanvas" and f"mockcanvas.{name}" in PUBLIC_MODULES:
            continue  # from mockcanvas import strategies: a public subpackage
        if name not in getattr(module, "__all__", ()):
            undeclared.append(f"from {module_name} import {name}")
    assert not undeclared, f"the README imports names no __all__ declares: {undeclared}"


def test_readme_internals_are_still_imported_and_resolve():
    """The allow-list shrinks as the README moves to public names: no stale entries."""
    imports = set(_readme_imports())
    for module_name, name in README_INTERNALS:
        assert (module_name, name) in imports, f"{module_name}.{name}: drop it from the list"
        module = importlib.import_module(module_name)
        assert hasattr(module, name) or importlib.import_module(f"{module_name}.{name}")


def test_readme_plain_imports_are_public_modules():
    for module_name in _IMPORT.findall(_docs_text()):
        assert module_name in PUBLIC_MODULES, f"the README imports {module_name}"


def test_import_mockcanvas_stays_light():
    """The pytest plugin loads in every run: ``import mockcanvas`` must not pull in the app."""
    probe = (
        "import sys, mockcanvas; print(sorted({'flask', 'faker', 'jsonschema'} & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_package_ships_py_typed():
    assert (ROOT / "mockcanvas" / "py.typed").is_file()
