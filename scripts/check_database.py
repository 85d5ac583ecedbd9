"""Fail with one clear line when the test database server does not answer."""

import os
import sys

import psycopg


def main() -> int:
    url = os.environ["DATABASE_URL"]
    if not url.startswith(("postgres://", "postgresql://")):
        print(f"The test suite runs on PostgreSQL only; DATABASE_URL is {url!r}.", file=sys.stderr)
        return 1
    # Connect to the maintenance database: the test database is created by the suite itself.
    conninfo = psycopg.conninfo.conninfo_to_dict(url)
    conninfo["dbname"] = "postgres"
    try:
        psycopg.connect(**conninfo, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(
            f"PostgreSQL is not reachable ({reason}). Start PostgreSQL 15 on 127.0.0.1:5432 "
            "(e.g. `sudo pg_ctlcluster 15 main start`) or set DATABASE_URL to a server you can "
            "create databases on.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
