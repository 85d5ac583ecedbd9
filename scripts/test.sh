#!/usr/bin/env bash
# The whole test suite on PostgreSQL: lint, Django checks, migrations check, pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/persist}"
export SECRET_KEY="${SECRET_KEY:-insecure-test-only-secret-key-not-for-production}"
export DEBUG="${DEBUG:-false}"
PY=.venv/bin/python

if ! $PY scripts/check_database.py; then
    exit 1
fi
bash scripts/os-packages.sh

.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
$PY manage.py check --fail-level WARNING
$PY manage.py makemigrations --check --dry-run > /dev/null || {
    echo "Model changes without a migration: run 'python manage.py makemigrations'." >&2
    exit 1
}
exec .venv/bin/pytest "$@"
