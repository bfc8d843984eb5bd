"""An installed (non-editable) copy finds schemas/ and fixtures/ inside the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_carries_schemas_and_fixtures_and_finds_them(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
         "-q", "-w", str(tmp_path)],
        check=True,
    )  # fmt: skip
    [wheel] = tmp_path.glob("mockcanvas-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {p.name for p in (ROOT / "schemas").glob("*.json")}
    assert {n.rsplit("/", 1)[1] for n in names if n.startswith("mockcanvas/_data/schemas/")} == (
        shipped
    )
    assert any(n.startswith("mockcanvas/_data/fixtures/spec_examples/") for n in names)

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
