"""HTTP throughput of a course's audit page, as a ratio to a ceiling app on the same server.

The server runs in a child process; this process is the load generator: ``CONNECTIONS``
keep-alive connections on loopback, each sending the next request as soon as the previous answer
has arrived (closed loop). The page is the default small world's override course,
``GET /api/v1/audit/grade_change/courses/1?per_page=100`` (and ``per_page=10``), read by the
seeded admin.

The ceiling is a Flask app on the same server answering the same path with the same bytes and
the same headers, serialized once before the run: what the framework and server cost by
themselves. The figure is app req/s over ceiling req/s, measured alternately (ceiling, app,
ceiling, app) so that noise from other processes on the machine falls on both. On a 2-core
machine the load generator competes with the server for CPU; the ratio is what stays comparable.

Servers compared: werkzeug's threaded server (one thread per connection), waitress (one I/O
thread plus a pool of workers) and gunicorn (one gthread worker: a mock keeps its state in one
process; compared when installed, it is no dependency). The targets are on
``live_server.DEFAULT_SERVER``, the one ``mockcanvas serve`` uses; ``--quick`` measures it alone.
Besides req/s, each figure's detail has the server's CPU time per answer, which other processes
on the machine disturb far less than req/s.
"""

from __future__ import annotations

import os
import selectors
import socket
import subprocess
import sys
import time
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from .common import Figure, main

CONNECTIONS = 8
PER_PAGES = (100, 10)
TARGETS = {100: 0.5, 10: 0.8}
SERVERS = ("werkzeug", "waitress", "gunicorn")
ROOT = Path(__file__).resolve().parent.parent


# -- the child: one server, the real app or the ceiling ------------------------------------------


def _page(port: int, per_page: int) -> tuple[str, dict[str, str], Any, Any]:
    """The page's path, request headers, test-client answer and app, rendered as on ``port``."""
    from mockcanvas import create_app

    app = create_app(seed=1, size="small")
    store = app.extensions["mockcanvas"].store
    token = store.token_for(store.landmarks["admin"])
    path = (
        f"/api/v1/audit/grade_change/courses/{store.landmarks['override_course']}"
        f"?per_page={per_page}"
    )
    headers = {"Authorization": f"Bearer {token}"}
    answer = app.test_client().get(path, headers=headers, base_url=f"http://127.0.0.1:{port}")
    if answer.status_code != 200:
        raise RuntimeError(f"{path} answered {answer.status_code}")
    return path, headers, answer, app


def ceiling_app(answer):
    """A Flask app answering every GET with ``answer``'s bytes and headers, made once."""
    from flask import Flask, Response

    body = answer.get_data()
    headers = [(k, v) for k, v in answer.headers.items() if k.lower() != "content-length"]
    ceiling = Flask("ceiling")

    @ceiling.get("/<path:anything>")
    def page(anything: str) -> Response:
        return Response(body, headers=headers)

    return ceiling


def child(server: str, which: str, port: int, per_page: int) -> None:
    """Serve the app (``which="app"``) or its ceiling on 127.0.0.1:``port`` until killed."""
    _, _, answer, app = _page(port, per_page)
    target = app if which == "app" else ceiling_app(answer)
    if server in ("werkzeug", "waitress"):
        from mockcanvas.live_server import LiveServer

        LiveServer(target, port=port, kind=server).serve_forever()
    elif server == "gunicorn":
        from gunicorn.app.base import BaseApplication

        class Embedded(BaseApplication):
            def load_config(self) -> None:
                for key, value in {
                    "bind": f"127.0.0.1:{port}",
                    "workers": 1,
                    "threads": CONNECTIONS,
                    "worker_class": "gthread",
                    "keepalive": 30,
                    "accesslog": None,
                    "loglevel": "warning",
                }.items():
                    self.cfg.set(key, value)

            def load(self):
                return target

        Embedded().run()
    else:
        raise SystemExit(f"unknown server {server}")


# -- the parent: closed-loop load ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(server: str, which: str, per_page: int) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    code = (
        "import benchmarks.http_throughput as b; "
        f"b.child({server!r}, {which!r}, {port}, {per_page})"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{server} {which} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{server} {which} did not start")


class _Connection:
    __slots__ = ("buffer", "close", "header_end", "need", "sock")

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.buffer = bytearray()
        self.need = -1
        self.header_end = -1
        self.close = False


def _answer_head(head: bytes) -> tuple[int, bool]:
    """The body's length and whether the server closes the connection after it."""
    lines = head.split(b"\r\n")
    if b" 200 " not in lines[0] + b" ":
        raise RuntimeError(f"unexpected answer: {lines[0]!r}")
    size, close = -1, lines[0].startswith(b"HTTP/1.0")
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            size = int(value)
        elif name == b"connection":
            close = value.strip().lower() == b"close"
    if size < 0:
        raise RuntimeError("an answer without Content-Length")
    return size, close


def load(port: int, request: bytes, seconds: float, connections: int = CONNECTIONS) -> dict:
    """Closed-loop load for ``seconds``: answers per second and the first answer's body.

    Connections are kept alive where the server allows; where it closes them (werkzeug's server
    always does), the next request goes out on a new connection, as any client would do.
    """
    selector = selectors.DefaultSelector()

    def send(conn: _Connection) -> None:
        conn.sock.sendall(request)  # a few hundred bytes: fits any empty socket buffer
        selector.register(conn.sock, selectors.EVENT_READ, conn)

    for _ in range(connections):
        send(_Connection(port))
    done = reconnects = 0
    sample = None
    started = time.perf_counter()
    stop = started + seconds
    while True:
        now = time.perf_counter()
        if now >= stop:
            break
        for key, _ in selector.select(timeout=stop - now):
            conn: _Connection = key.data
            chunk = conn.sock.recv(1 << 18)
            if not chunk:
                raise RuntimeError("the server closed a connection before answering")
            conn.buffer += chunk
            if conn.need < 0:
                end = conn.buffer.find(b"\r\n\r\n")
                if end < 0:
                    continue
                conn.header_end = end + 4
                size, conn.close = _answer_head(bytes(conn.buffer[:end]))
                conn.need = conn.header_end + size
            if len(conn.buffer) < conn.need:
                continue
            if sample is None:
                sample = bytes(conn.buffer[conn.header_end : conn.need])
            done += 1
            selector.unregister(conn.sock)
            if conn.close:
                conn.sock.close()
                conn = _Connection(port)
                reconnects += 1
            else:
                del conn.buffer[: conn.need]
                conn.need = -1
            send(conn)
    elapsed = time.perf_counter() - started
    for key in list(selector.get_map().values()):
        key.fileobj.close()
    selector.close()
    return {"rps": done / elapsed, "requests": done, "reconnects": reconnects, "body": sample}


def _request(path: str, headers: dict[str, str], port: int) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process and its children (gunicorn's worker), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:  # fields[1] is the parent's pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def measure(server: str, per_page: int, seconds: float, slices: int) -> dict:
    """Both servers up at once, loaded in turns (ceiling, app, ceiling, app, ...) for
    ``seconds`` each, ``slices`` times: what other processes take falls on both alike."""
    procs: dict[str, subprocess.Popen] = {}
    targets: dict[str, tuple[int, bytes]] = {}
    try:
        for which in ("ceiling", "app"):
            proc, port = _start(server, which, per_page)
            procs[which] = proc
            path, headers, _, _ = _page(port, per_page)
            targets[which] = (port, _request(path, headers, port))
        done = {"ceiling": 0, "app": 0}
        elapsed = {"ceiling": 0.0, "app": 0.0}
        cpu = {"ceiling": 0.0, "app": 0.0}
        rates: dict[str, list[float]] = {"ceiling": [], "app": []}
        bodies = {}
        for port, request in targets.values():  # warm up: caches, threads
            load(port, request, 1.0)
        for _ in range(slices):
            for which, (port, request) in targets.items():
                used = cpu_seconds(procs[which].pid)
                got = load(port, request, seconds)
                cpu[which] += cpu_seconds(procs[which].pid) - used
                done[which] += got["requests"]
                elapsed[which] += got["requests"] / got["rps"]
                rates[which].append(got["rps"])
                bodies[which] = got["body"].replace(str(port).encode(), b"PORT")
                keep_alive = got["reconnects"] == 0
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait(10)
    if bodies["app"] != bodies["ceiling"]:
        raise RuntimeError(f"{server}: the app's body differs from the ceiling's")
    rps = {which: done[which] / elapsed[which] for which in done}
    return {
        "ratio": rps["app"] / rps["ceiling"],
        "app_rps": rps["app"],
        "ceiling_rps": rps["ceiling"],
        "slice_ratios": [
            round(a / c, 3) for a, c in zip(rates["app"], rates["ceiling"], strict=True)
        ],
        # Server CPU per answer: far steadier than req/s when other processes share the machine.
        "app_cpu_us": round(cpu["app"] / done["app"] * 1e6),
        "ceiling_cpu_us": round(cpu["ceiling"] / done["ceiling"] * 1e6),
        "bytes": len(bodies["app"]),
        "keep_alive": keep_alive,
    }


def run(quick: bool) -> list[Figure]:
    from mockcanvas.live_server import DEFAULT_SERVER

    seconds, slices = (0.25, 4) if quick else (0.25, 32)
    servers = (DEFAULT_SERVER,) if quick else tuple(s for s in SERVERS if find_spec(s))
    figures = []
    for per_page in PER_PAGES:
        for server in servers:
            m = measure(server, per_page, seconds, slices)
            chosen = server == DEFAULT_SERVER
            detail = {k: v for k, v in m.items() if k != "ratio"}
            detail.update(connections=CONNECTIONS, slice_seconds=seconds, slices=slices)
            figures.append(
                Figure(
                    "http_throughput", f"{server} app/ceiling, per_page={per_page}", m["ratio"],
                    "x", target=("min", TARGETS[per_page]) if chosen else None,
                    note="the server mockcanvas serve uses" if chosen else "", detail=detail,
                )
            )  # fmt: skip
            figures.append(
                Figure("http_throughput", f"{server} app req/s, per_page={per_page}",
                       m["app_rps"], "req/s", detail=detail)
            )  # fmt: skip
            figures.append(
                Figure("http_throughput", f"{server} ceiling req/s, per_page={per_page}",
                       m["ceiling_rps"], "req/s", detail=detail)
            )  # fmt: skip
    return figures


if __name__ == "__main__":
    main(run, __doc__)
