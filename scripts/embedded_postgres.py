"""Run a command against PostgreSQL on a machine that may have none installed.

    python scripts/embedded_postgres.py [--prefer-local] -- COMMAND [ARG ...]

With DATABASE_URL set, COMMAND runs against it unchanged. Otherwise (after ``--prefer-local``,
only when no server answers on 127.0.0.1:5432) an embedded PostgreSQL server from the ``pgserver``
wheel is started with its data under ``$PERSIST_VAR_DIR/postgres`` (``var/postgres``), the
``persist`` database is created if missing, COMMAND runs with DATABASE_URL pointing at the
server's Unix socket, and the server is stopped when COMMAND ends. The server listens on no TCP
port, so two checkouts never collide.

``make run`` uses it without ``--prefer-local`` (the demo's data stays in ``var/``), ``make test``
with it (a developer's local server is faster to reuse than a fresh cluster).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.parse
import warnings
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
LOCAL_URL = "postgres://postgres@127.0.0.1:5432/persist"
DATABASE = "persist"


def local_server_answers() -> bool:
    try:
        psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=postgres", connect_timeout=3
        ).close()
    except psycopg.OperationalError:
        return False
    return True


def socket_url(socket_dir: str, database: str = DATABASE) -> str:
    # A percent-encoded path as the host is a Unix socket directory to libpq and dj-database-url.
    return f"postgres://postgres@{urllib.parse.quote(socket_dir, safe='')}/{database}"


def start_embedded(var_dir: Path):
    # platformdirs warns when XDG_RUNTIME_DIR is unset (root, containers); pgserver then uses /tmp.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    import pgserver  # a development dependency: imported only when the embedded server is needed

    data = var_dir / "postgres"
    data.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data, cleanup_mode="stop")
    socket_dir = urllib.parse.parse_qs(urllib.parse.urlsplit(server.get_uri()).query)["host"][0]
    with psycopg.connect(socket_url(socket_dir, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
    return server, socket_url(socket_dir)


def main(argv: list[str]) -> int:
    prefer_local = "--prefer-local" in argv[: argv.index("--")] if "--" in argv else False
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        print(__doc__, file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1 :]

    if os.environ.get("DATABASE_URL"):
        return subprocess.call(command)
    if prefer_local and local_server_answers():
        return subprocess.call(command, env={**os.environ, "DATABASE_URL": LOCAL_URL})

    var_dir = Path(os.environ.get("PERSIST_VAR_DIR", ROOT / "var"))
    server, url = start_embedded(var_dir)
    print(f"Embedded PostgreSQL is serving {var_dir / 'postgres'}", file=sys.stderr)
    child = subprocess.Popen(command, env={**os.environ, "DATABASE_URL": url})

    # Ctrl-C reaches the whole foreground process group: the child handles it and exits; this
    # process waits for that, then stops the server (a server stopped first would make the
    # child's own shutdown fail). A SIGTERM sent to this process alone is passed on.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, frame: child.send_signal(signal.SIGTERM))
    try:
        return child.wait()
    finally:
        server.cleanup()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
