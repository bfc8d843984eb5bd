"""``mockcanvas serve`` with an injected fault: a request stuck under the write lock.

Run as ``python tests/support/stuck_serve.py [serve options]``. It builds the app and serves it
exactly as ``mockcanvas serve`` does (``cli.build_app`` and ``cli.run_server``), plus one daemon
thread: when a line arrives on stdin it takes the instance's write lock and never lets go, printing
``holding the write lock``. Every request that needs the lock then waits forever, as one did
behind a runaway pattern; shutdown must not wait for them.
"""

from __future__ import annotations

import sys
import threading

from mockcanvas import cli


def main(argv: list[str]) -> int:
    args = cli._parser().parse_args(["serve", *argv])
    loaded = cli._load_scenario(args)
    app = cli.build_app(args, loaded)
    lock = app.extensions["mockcanvas"].write_lock

    def hold() -> None:
        sys.stdin.readline()
        lock.acquire()  # never released
        print("holding the write lock", flush=True)
        threading.Event().wait()

    threading.Thread(target=hold, name="stuck-under-the-lock", daemon=True).start()
    return cli.run_server(app, args, loaded)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
