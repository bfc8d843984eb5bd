"""Golden audit API documents of the default world: no drift, and drift is shown as a diff."""

from __future__ import annotations

import json
import shutil

import pytest

from mockcanvas import cli, golden, schemas
from tests.support import parse_links

GOLDEN = golden.directory()


def stored(name: str) -> dict:
    return json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))


def test_the_mock_still_answers_the_golden_documents():
    drifts = golden.check()
    assert not drifts, (
        "the audit API's answers changed; if intended, run "
        "`mockcanvas golden --write fixtures/golden`:\n" + "\n".join(map(str, drifts))
    )


def test_there_is_one_file_per_case():
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == sorted(c.name for c in golden.CASES)


@pytest.mark.parametrize("case", golden.CASES, ids=lambda case: case.name)
def test_each_golden_document_is_a_valid_canvas_answer(case):
    document = stored(case.name)
    assert document["status"] == 200
    assert document["headers"]["Content-Type"] == "application/json; charset=utf-8"
    schemas.validate("grade_change_compound", document["body"])
    links = parse_links(document["headers"]["Link"])
    assert links["first"].endswith("page=first&per_page=" + links["first"].rsplit("=", 1)[1])
    assert document["request"]["url"].startswith(golden.BASE_URL + "/api/v1/audit/grade_change")


def test_the_second_page_is_the_first_pages_next_link():
    first, second = stored("course_page"), stored("course_page_2")
    assert parse_links(first["headers"]["Link"])["next"] == second["request"]["url"]
    assert "page=bookmark:" in second["request"]["url"]
    older = {e["id"] for e in second["body"]["events"]}
    assert len(older) == 5 and not older & {e["id"] for e in first["body"]["events"]}


def test_the_documents_show_what_their_case_is_about():
    override = stored("override_page")["body"]["events"]
    assert {e["course_override_grade"] for e in override} == {True}
    assert all("assignment" not in e["links"] for e in override)
    with_grade = stored("query_with_current_grade")["body"]["events"]
    assert all("grade_current" in e for e in with_grade)
    # The newest row in the admin's zone and in a section-limited TA's (Australia/Adelaide).
    admin_view = stored("course_page")["body"]["events"][0]
    ta_view = stored("course_page_as_section_ta")["body"]["events"][0]
    assert admin_view["id"] == ta_view["id"]
    assert admin_view["created_at"] == "2026-11-02T01:41:24+00:00"
    assert ta_view["created_at"] == "2026-11-02T12:11:24+10:30"
    # Section visibility runs after paging: fewer than per_page rows, and still a next page.
    limited = stored("course_page_as_section_ta")
    assert len(limited["body"]["events"]) < 5
    assert "next" in parse_links(limited["headers"]["Link"])


@pytest.fixture
def copy(tmp_path):
    target = tmp_path / "golden"
    shutil.copytree(GOLDEN, target)
    return target


def test_drift_missing_and_stray_files_are_reported(copy):
    page = copy / "course_page.json"
    text = page.read_text(encoding="utf-8")
    first_grade = json.loads(text)["body"]["events"][0]["grade_after"]
    page.write_text(
        text.replace(f'"grade_after": "{first_grade}"', '"grade_after": "F-"', 1), encoding="utf-8"
    )
    (copy / "grader_page.json").unlink()
    (copy / "leftover.json").write_text("{}\n", encoding="utf-8")

    drifts = golden.check(copy)
    assert [d.name for d in drifts] == ["course_page", "grader_page", "leftover"]
    diff = str(drifts[0]).splitlines()
    assert diff[:2] == [f"--- {page} (golden)", "+++ course_page (served now)"]
    assert '-        "grade_after": "F-",' in diff
    assert f'+        "grade_after": "{first_grade}",' in diff
    assert str(drifts[1]).startswith(f"{copy / 'grader_page.json'}: missing")
    assert str(drifts[2]) == f"{copy / 'leftover.json'}: no golden case makes this file"


def test_the_command_checks_and_rewrites(copy, tmp_path, capsys):
    (copy / "student_page.json").write_text("{}\n", encoding="utf-8")
    assert cli.main(["golden", "--check", str(copy)]) == 1
    out, err = capsys.readouterr()
    assert out.startswith(f"--- {copy / 'student_page.json'} (golden)\n")
    assert err == (
        "1 of 9 golden documents drifted; if the change is intended, run: "
        f"mockcanvas golden --write {copy}\n"
    )
    fresh = tmp_path / "fresh"
    assert cli.main(["golden", "--write", str(fresh)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"wrote {fresh / 'course_page.json'}"
    for case in golden.CASES:
        name = f"{case.name}.json"
        assert (fresh / name).read_bytes() == (GOLDEN / name).read_bytes()
    assert golden.main(["--check", str(fresh)]) == 0
    assert capsys.readouterr().out == f"9 golden documents match {fresh}\n"
    assert cli.main(["golden", "--check", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err == (
        f"mockcanvas golden: error: {tmp_path / 'nowhere'} is not a directory\n"
    )


def test_without_options_it_prints_every_document(capsys):
    assert cli.main(["golden"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert list(printed) == [case.name for case in golden.CASES]
    assert printed["override_page"] == stored("override_page")
