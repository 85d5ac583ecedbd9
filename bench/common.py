"""Shared plumbing: databases, the production-like environment, subprocesses, gunicorn, wrk."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
VAR_DIR = ROOT / "var" / "bench"
RESULTS_DIR = ROOT / "var" / "bench-results"

#: PostgreSQL server used when DATABASE_URL is not set; each benchmark database is named here.
DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres"
#: Helpers sharing one PostgreSQL server may each keep their own copy (``BENCH_SCALE_DB``).
SCALE_DB = os.environ.get("BENCH_SCALE_DB", "persist_scale")
#: The throwaway databases' names start with this: two checkouts benchmarking on one server
#: at once set different prefixes, or each drops the other's copy mid-run.
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "persist_bench")
#: Contacts the scale dataset holds (seed_scale default): below this it is seeded again.
SCALE_CONTACTS = 1_000_000
#: The shared cache for the web processes (database 14 keeps the benchmark's keys apart);
#: empty to measure each worker's own memory cache instead.
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
#: Web workers: sync gunicorn workers, 2 per core is the usual sizing for a 2-core machine.
WEB_WORKERS = 4
#: Credentials only ever used on loopback by the benchmarks.
WEBHOOK_SECRET = "bench:bench-webhook-secret"
TWILIO_TOKEN = "bench-twilio-token"
SERVER_START_TIMEOUT = 60


#: seed_scale's defaults (devdata.scale.DEFAULT_*), multiplied for ``make bench ARGS=--scale N``.
SCALE_SHAPE = {"requisitions": 200, "applications": 20_000, "contacts": SCALE_CONTACTS}


def scale_db(scale: int = 1) -> str:
    return SCALE_DB if scale == 1 else f"{SCALE_DB}{scale}"


def scale_seed_args(scale: int = 1) -> list[str]:
    return [f"--{name}={count * scale}" for name, count in SCALE_SHAPE.items()]


def server_url() -> str:
    return os.environ.get("BENCH_SERVER_URL", os.environ.get("DATABASE_URL", DEFAULT_SERVER_URL))


def database_url(name: str) -> str:
    parts = urlsplit(server_url())
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin() -> psycopg.Connection:
    return psycopg.connect(database_url("postgres"), autocommit=True)


def database_exists(name: str) -> bool:
    with _admin() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()


def drop_database(name: str) -> None:
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_database(name: str, *, template: str | None = None) -> None:
    """(Re)create ``name``, empty or as a file-level copy of ``template`` (seconds for ~1 GB)."""
    drop_database(name)
    with _admin() as conn:
        if template:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            conn.execute(f'CREATE DATABASE "{name}"')
    if template:
        vacuum_analyze(name)


def vacuum_analyze(name: str) -> None:
    """VACUUM (ANALYZE) ``name``, as autovacuum would in production. The copy inherits the
    template's dead rows (a seed's deletes), and with autovacuum off (as on the development
    server) their index entries stay: the planner then walked ~1M dead entries at the start of
    ``followups_contact``'s primary key to estimate every join on it, 10+ ms per query plan."""
    with psycopg.connect(database_url(name), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def app_env(db_name: str, **extra: str) -> dict[str, str]:
    """Production-like settings (DEBUG off, secret set, manifest static files) on loopback."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(db_name),
        DEBUG="false",
        SECRET_KEY="benchmark-only-secret-never-used-in-production-0123456789abcdef",
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        PERSIST_VAR_DIR=str(VAR_DIR),
        ANYMAIL_WEBHOOK_SECRET=WEBHOOK_SECRET,
        TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def manage(db_name: str, *args: str, timeout: float = 900, **extra: str) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=app_env(db_name, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr or done.stdout}")
    return done.stdout


def run_part(module: str, db_name: str, *args: str, timeout: float = 900, **extra: str) -> dict:
    """``python -m <module> --json FILE …`` against ``db_name``; its JSON, or RuntimeError."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        done = subprocess.run(
            [PYTHON, "-m", module, "--json", str(out), *args],
            cwd=ROOT,
            env=app_env(db_name, **extra),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.stdout.strip():
            print(done.stdout.rstrip(), flush=True)
        if done.returncode or not out.exists():
            raise RuntimeError(f"{module} exited {done.returncode}: {done.stderr.strip()}")
        return json.loads(out.read_text())


def collectstatic() -> None:
    """DEBUG off serves hashed files from the manifest, as in production."""
    manage(SCALE_DB if database_exists(SCALE_DB) else "postgres", "collectstatic", "--noinput")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def shared_cache_url() -> str:
    """``BENCH_REDIS_URL`` when a Redis answers there, else "" (each worker's own memory).

    Several web processes are deployed with ``REDIS_URL`` (README), which also serves sessions
    from the cache; the benchmark measures that configuration when it can.
    """
    if not BENCH_REDIS_URL:
        return ""
    parts = urllib.parse.urlsplit(BENCH_REDIS_URL)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=1):
            return BENCH_REDIS_URL
    except OSError:
        return ""


@contextlib.contextmanager
def gunicorn(db_name: str, *, workers: int = WEB_WORKERS, **extra: str) -> Iterator[str]:
    """A gunicorn (sync workers) serving the app on a free loopback port; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # Outlives the with-block on purpose: read after the server stops, then removed.
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115
        prefix="bench-gunicorn-", suffix=".log", delete=False
    )
    process = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=app_env(db_name, PUBLIC_BASE_URL=base, **{"REDIS_URL": shared_cache_url(), **extra}),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {Path(log.name).read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer /healthz in time")
            time.sleep(0.3)
        yield base
    finally:
        # Its own session: the master and its workers stop together, nothing else is touched.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        server_errors = Path(log.name).read_text()
        Path(log.name).unlink()
        if "Traceback" in server_errors:
            print(f"gunicorn log:\n{server_errors[-3000:]}", file=sys.stderr)


def ensure_wrk() -> str:
    """Debian's wrk, installed (as root, apt-get) when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["bash", str(ROOT / "scripts" / "os-packages.sh"), "wrk"], check=True)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed and could not be installed (apt-get install wrk)")
    return found


def cpu_summary() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs, load average {load}"
