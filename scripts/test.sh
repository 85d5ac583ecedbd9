#!/usr/bin/env bash
# The whole test suite on PostgreSQL: lint, Django checks, migrations check, pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
# DATABASE_URL, else the local server on 127.0.0.1:5432, else an embedded one under var/postgres.
if [ -z "${DATABASE_URL:-}" ]; then
    exec $PY scripts/embedded_postgres.py --prefer-local -- bash scripts/test.sh "$@"
fi
export SECRET_KEY="${SECRET_KEY:-insecure-test-only-secret-key-not-for-production}"
export DEBUG="${DEBUG:-false}"

if ! $PY scripts/check_database.py; then
    exit 1
fi
bash scripts/os-packages.sh

.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
# The apps' layers ([tool.importlinter] in pyproject.toml): no app imports one above it.
.venv/bin/lint-imports --no-cache
$PY manage.py check --fail-level WARNING
$PY manage.py makemigrations --check --dry-run > /dev/null || {
    echo "Model changes without a migration: run 'python manage.py makemigrations'." >&2
    exit 1
}
exec .venv/bin/pytest "$@"
