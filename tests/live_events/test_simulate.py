"""``mockcanvas simulate`` end to end: real webhooks to a real receiver on 127.0.0.1, every event
accounted for, signatures checked against the JWKS the run wrote, bad arguments refused, and the
same seed giving the same events."""

from __future__ import annotations

import json
from pathlib import Path

import jwt
import pytest

from mockcanvas import cli, schemas
from tests.support.receiver import Receiver


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.stop()


def _simulate(capsys, *argv: str) -> tuple[int, dict]:
    code = cli.main(["simulate", "--json", *argv])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_unsigned_webhook_gets_every_event_once_and_the_summary_matches(capsys, receiver):
    code, summary = _simulate(capsys, "--count", "120", "--webhook", receiver.url)
    assert code == 0
    assert summary["operations"] == 120
    assert sum(summary["operations_by_kind"].values()) == 120
    emitted = summary["events"]
    assert emitted == sum(summary["events_by_name"].values()) > 120  # grades bring course events
    (sub,) = summary["subscriptions"]
    assert sub["submitted"] == sub["delivered"] == emitted
    assert sub["dead"] == sub["dropped_overflow"] == sub["undelivered"] == sub["pending"] == 0
    assert summary["lost"] == summary["unaccounted"] == 0
    received = receiver.delivered()
    assert len(received) == len(receiver.requests) == emitted
    ids = [r.headers["X-Mockcanvas-Event-Id"] for r in received]
    assert len(set(ids)) == emitted  # exactly once
    names: dict[str, int] = {}
    for request in received:
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["X-Mockcanvas-Delivery-Attempt"] == "1"
        payload = json.loads(request.body)
        name = payload["metadata"]["event_name"]
        names[name] = names.get(name, 0) + 1
        schemas.validate(f"live_event_{name}", payload)
    assert names == summary["events_by_name"]
    assert sub["send_latency_ms"]["p50"] <= sub["send_latency_ms"]["max"]


def test_signed_webhook_bodies_verify_against_the_written_jwks(capsys, receiver, tmp_path):
    jwks_path = tmp_path / "jwks.json"
    code, summary = _simulate(
        capsys, "--count", "40", "--webhook-signed", receiver.url, "--jwks", str(jwks_path)
    )
    assert code == 0
    keys = jwt.PyJWKSet.from_dict(json.loads(jwks_path.read_text()))
    received = receiver.delivered()
    assert len(received) == summary["events"] == summary["subscriptions"][0]["delivered"]
    seen = set()
    for request in received:
        assert request.headers["Content-Type"] == "application/jwt"
        token = request.body.decode("ascii")
        kid = jwt.get_unverified_header(token)["kid"]
        claims = jwt.decode(token, keys[kid].key, algorithms=["RS256"])
        assert claims["jti"] == request.headers["X-Mockcanvas-Event-Id"]
        payload = {"metadata": claims["metadata"], "body": claims["body"]}
        schemas.validate(f"live_event_{claims['metadata']['event_name']}", payload)
        seen.add(claims["jti"])
    assert len(seen) == summary["events"]


def test_a_refusing_consumer_loses_events_and_the_run_fails(capsys, receiver, tmp_path):
    receiver.script.extend([400] * 1000)  # every delivery refused for good
    code, summary = _simulate(
        capsys,
        "--count", "30",
        "--webhook", receiver.url,
        "--undelivered-dir", str(tmp_path),
    )  # fmt: skip
    assert code == 1
    (sub,) = summary["subscriptions"]
    assert sub["delivered"] == 0
    assert sub["dead"] == sub["lost"] == summary["lost"] == summary["events"]
    assert sub["attempts"] == 10  # the failure budget, then dead-lettered without an attempt
    (path,) = summary["undelivered_files"]
    lines = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]
    assert len(lines) == summary["events"]
    assert {line["status"] for line in lines} == {"dead"}


def test_the_text_summary_says_ok_or_failed(capsys, receiver):
    assert cli.main(["simulate", "--count", "5", "--webhook", receiver.url]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("mockcanvas ")
    assert "operations: 5 " in out
    assert out.rstrip().endswith("ok: every event delivered or skipped")


def test_same_seed_same_events_other_seed_other_events(capsys, tmp_path):
    runs = {}
    for label, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        path = tmp_path / f"{label}.jsonl"
        code, summary = _simulate(
            capsys, "--count", "60", "--seed", seed, "--mix", "grade=5,excuse=1,override=1,post=1",
            "--jsonl", str(path),
        )  # fmt: skip
        assert code == 0
        runs[label] = path.read_bytes()
        assert len(runs[label].splitlines()) == summary["events"]
    assert runs["a"] == runs["b"]
    assert runs["a"] != runs["c"]


def test_courses_and_mix_limit_what_is_done(capsys, tmp_path):
    path = tmp_path / "events.jsonl"
    code, summary = _simulate(
        capsys, "--count", "50", "--courses", "2", "--mix", "grade=1", "--jsonl", str(path)
    )
    assert code == 0
    assert summary["operations_by_kind"] == {"grade": 50, "excuse": 0, "override": 0, "post": 0}
    courses = {json.loads(line)["metadata"]["context_id"] for line in path.read_text().splitlines()}
    assert courses == {"10000000000002"}


def test_a_rate_still_runs_the_count(capsys):
    code, summary = _simulate(capsys, "--count", "20", "--rate", "5000")
    assert code == 0
    assert summary["operations"] == 20
    assert summary["subscriptions"] == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--rate", "-1"], "--rate must be 0 or more"),
        (["--count", "0"], "--count must be above 0"),
        (["--count", "ten"], "--count must be a number"),
        (["--mix", "grade=1,teach=2"], "mix entries are KIND=WEIGHT"),
        (["--mix", "grade=0"], "must give some kind a weight above 0"),
        (["--courses", "1,x"], "courses are course ids"),
    ],
)
def test_bad_arguments_are_usage_errors(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["simulate", *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--courses", "999"], "there is no course 999 in this world"),
        (["--webhook", "ftp://127.0.0.1/x"], "url must be an http:// or https:// URL"),
    ],
)
def test_arguments_the_world_or_a_sink_refuses_exit_2(capsys, argv, message):
    assert cli.main(["simulate", "--count", "1", *argv]) == 2
    captured = capsys.readouterr()
    assert f"mockcanvas simulate: error: {message}" in captured.err
    assert captured.out == ""
