"""`make run`'s script really serves the app: real processes, real HTTP, embedded PostgreSQL."""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 120


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"run script exited early with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"{url} did not answer within {STARTUP_TIMEOUT_S}s")


@pytest.fixture
def running_app(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DEBUG="true", PORT=str(port), PERSIST_VAR_DIR=str(tmp_path), PYTHONUNBUFFERED="1")
    env.pop("DEMO_PASSWORD", None)
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["bash", "scripts/run.sh"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_for(
                f"http://127.0.0.1:{port}/healthz", process, time.monotonic() + STARTUP_TIMEOUT_S
            )
            yield f"http://127.0.0.1:{port}", process, log
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def test_run_command_serves_login_and_seeded_board_with_the_task_cluster(running_app, tmp_path):
    base, process, log = running_app
    # DATABASE_URL unset: an embedded PostgreSQL server keeps the data under var/postgres.
    assert (tmp_path / "postgres" / "PG_VERSION").exists()
    output = log.read_text()
    password = re.search(r"^\s+manager\s+(\S+)$", output, re.MULTILINE).group(1)

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = opener.open(f"{base}/login/").read().decode()
    assert "Sign in to Persist" in login_page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    form = urllib.parse.urlencode(
        {"username": "manager", "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(f"{base}/login/", data=form, headers={"Referer": base})
    home = opener.open(request).read().decode()
    assert "Needs your decision" in home
    requisitions = opener.open(f"{base}/requisitions/").read().decode()
    assert "Account Executive, Mid-Market East" in requisitions
    # manager2's requisition is another team's: never listed.
    assert "Enterprise Account Executive, ANZ" not in requisitions

    board_path = re.search(r'href="(/requisitions/\d+/)"', requisitions).group(1)
    board = opener.open(f"{base}{board_path}").read().decode()
    for stage in ("Applied", "Phone screen", "Interview 2", "Silence test", "Offer"):
        assert f">{stage}</h2>" in board
    # 16 current applications and 14 past ones the evidence pages learn from (devdata).
    assert board.count('class="card-item') == 30

    # The django-q2 cluster runs next to the web server.
    deadline = time.monotonic() + 30
    while not re.search(r"Q Cluster .* running", log.read_text()) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert re.search(r"Q Cluster .* running", log.read_text())

    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=30) is not None
    # Ctrl-C stops both the web server and the cluster (which runs in its own session).
    deadline = time.monotonic() + 30
    while _processes_with_env(f"PERSIST_VAR_DIR={tmp_path}") and time.monotonic() < deadline:
        time.sleep(0.3)
    assert _processes_with_env(f"PERSIST_VAR_DIR={tmp_path}") == []
    # ...and the embedded PostgreSQL server with them.
    assert not (tmp_path / "postgres" / "postmaster.pid").exists()


def _processes_with_env(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker.encode() + b"\0" in environ + b"\0":
            found.append(int(entry.name))
    return found
