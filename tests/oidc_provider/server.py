"""Start the test identity provider (this package) in a second process, on its own database."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30


@dataclass(frozen=True)
class Provider:
    url: str
    client_id: str
    client_secret: str

    def settings(self) -> dict[str, str]:
        """The Persist settings that point single sign-on at this provider."""
        return {
            "OIDC_RP_CLIENT_ID": self.client_id,
            "OIDC_RP_CLIENT_SECRET": self.client_secret,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{self.url}/o/authorize/",
            "OIDC_OP_TOKEN_ENDPOINT": f"{self.url}/o/token/",
            "OIDC_OP_USER_ENDPOINT": f"{self.url}/o/userinfo/",
            "OIDC_OP_JWKS_ENDPOINT": f"{self.url}/o/.well-known/jwks.json",
            "OIDC_PROVIDER_NAME": "Example IdP",
        }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url(db: dict, name: str) -> str:
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}"


def _admin_connection(db: dict):
    return psycopg.connect(
        dbname="postgres",
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        autocommit=True,
    )


@contextlib.contextmanager
def running_provider(db: dict, redirect_uri: str, people: list[dict]) -> Iterator[Provider]:
    """``db`` is Persist's database settings (the provider gets a sibling database on the same
    server); ``people`` the provider's accounts."""
    name = f"{db['NAME']}_oidc"[:63]
    with _admin_connection(db) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
        "OIDC_PROVIDER_DATABASE_URL": _database_url(db, name),
        "OIDC_PROVIDER_RSA_KEY": key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
    }
    python = sys.executable
    subprocess.run([python, "-m", "django", "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
    created = subprocess.run(
        [python, "-m", "tests.oidc_provider.bootstrap", redirect_uri],
        env=env,
        cwd=ROOT,
        input=json.dumps(people),
        capture_output=True,
        text=True,
        check=True,
    )
    client = json.loads(created.stdout)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [python, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(
                    f"{url}/o/.well-known/openid-configuration", timeout=2
                ) as response:
                    if response.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the test identity provider did not start") from None
                time.sleep(0.1)
        yield Provider(
            url=url, client_id=client["client_id"], client_secret=client["client_secret"]
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
        with _admin_connection(db) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
