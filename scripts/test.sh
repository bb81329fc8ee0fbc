#!/usr/bin/env bash
# Fresh machine -> install with test tools -> lint, type check, every test (slow ones included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
PY=${PYTHON:-python3}
echo "== ruff"
"$PY" -m ruff check src tests benchmarks
echo "== mypy"
"$PY" -m mypy
echo "== pytest"
set +e
"$PY" -m pytest -q -n 2 "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: failing" >&2
  exit 1
fi
exit "$rc"
