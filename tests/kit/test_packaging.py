"""An installed (non-editable) copy finds schemas/ and fixtures/ inside the wheel, and its pytest
plugin gives a test suite without a conftest a seeded Canvas."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
         "-q", "-w", str(out)],
        check=True,
    )  # fmt: skip
    [built] = out.glob("mockcanvas-*.whl")
    return built


def test_wheel_carries_schemas_and_fixtures_and_finds_them(wheel, tmp_path):
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {p.name for p in (ROOT / "schemas").glob("*.json")}
    assert {n.rsplit("/", 1)[1] for n in names if n.startswith("mockcanvas/_data/schemas/")} == (
        shipped
    )
    assert any(n.startswith("mockcanvas/_data/fixtures/spec_examples/") for n in names)
    page = {f"mockcanvas/inspector/{f.name}" for f in (ROOT / "mockcanvas/inspector").iterdir()}
    assert page == {  # the inspector page's files, served from inside the package
        "mockcanvas/inspector/index.html",
        "mockcanvas/inspector/inspector.css",
        "mockcanvas/inspector/inspector.js",
    }
    assert page <= set(names)
    # PEP 561: the package's annotations are for its users' type checkers too
    assert "mockcanvas/py.typed" in names

    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "import mockcanvas.resources as r, mockcanvas.schemas as s;"
        "print(r.data_dir('schemas')); print(r.data_dir('fixtures')); print(len(s.names()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out[0] == str(site / "mockcanvas" / "_data" / "schemas")
    assert out[1] == str(site / "mockcanvas" / "_data" / "fixtures")
    assert int(out[2]) == len(shipped)


def test_installed_wheel_plugin_needs_no_conftest(wheel, tmp_path):
    """The issue's "done when": a fresh venv, the wheel installed, the README's ten-line test file
    alone in a directory; pytest finds the fixtures through the entry point.

    The wheel goes in with ``--no-deps`` and a ``.pth`` line adds this environment's
    site-packages for the dependencies: about 2 s instead of about 26 s for a venv with pip plus
    a resolved install from the local index (measured). A plain path line does not run the
    ``.pth`` files there, so an editable mockcanvas in this environment stays out of sight.
    """
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
         "--no-index", str(wheel)],
        check=True,
    )  # fmt: skip
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    )  # fmt: skip
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    requires = zipfile.ZipFile(wheel).read("mockcanvas-0.1.0.dist-info/METADATA").decode()
    assert "Requires-Dist: pytest" in requires and "Requires-Dist: responses" in requires
    entry_points = zipfile.ZipFile(wheel).read("mockcanvas-0.1.0.dist-info/entry_points.txt")
    assert b"[pytest11]\nmockcanvas = mockcanvas.pytest_plugin" in entry_points

    project = tmp_path / "project"
    project.mkdir()
    example = ROOT / "fixtures" / "examples" / "test_ten_lines.py"
    (project / "test_ten_lines.py").write_text(example.read_text())
    assert [p.name for p in project.iterdir()] == ["test_ten_lines.py"]  # no conftest, no ini
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    where = subprocess.run(
        [str(python), "-c", "import mockcanvas; print(mockcanvas.__file__)"],
        cwd=project, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert where == str(site / "mockcanvas" / "__init__.py")
    run = subprocess.run(
        [str(python), "-m", "pytest", "-v", "-W", "error", "-p", "no:cacheprovider"],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "test_ten_lines.py::test_grading_emits_a_grade_change_event[canvas] PASSED" in run.stdout
    assert (
        "test_ten_lines.py::test_grading_emits_a_grade_change_event[canvas_server] PASSED"
        in run.stdout
    )
