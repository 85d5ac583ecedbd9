import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from followups.imap import ImapConfig

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
IMAP_USER, IMAP_PASSWORD = "capture", "capture-secret"
DOVECOT_CONF = """
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
default_internal_user = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def imap_server():
    """A real Dovecot IMAP server on a free loopback port, for the whole session."""
    if not os.path.exists(DOVECOT):
        pytest.fail("dovecot is not installed: `apt-get install dovecot-imapd` (make test does it)")
    # Not under pytest's 0700 temp root: Dovecot's unprivileged auth and mail processes must be
    # able to reach their files.
    root = Path(tempfile.mkdtemp(prefix="persist-dovecot-"))
    for sub in ("run", "state", "mail", "home"):
        (root / sub).mkdir()
    # Mail is owned by an unprivileged user: Dovecot refuses to access mail as root.
    shutil.chown(root / "mail", "nobody", "nogroup")
    shutil.chown(root / "home", "nobody", "nogroup")
    root.chmod(0o755)
    (root / "users").write_text(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}\n")
    port = _free_port()
    conf = root / "dovecot.conf"
    conf.write_text(DOVECOT_CONF.format(root=root, port=port))
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log = Path(root / "dovecot.log")
                pytest.fail(f"dovecot did not start: {log.read_text() if log.exists() else ''}")
            time.sleep(0.2)
    yield ImapConfig(
        host="127.0.0.1", port=port, user=IMAP_USER, password=IMAP_PASSWORD, use_ssl=False
    )
    process.terminate()
    process.wait(timeout=10)
    shutil.rmtree(root, ignore_errors=True)
