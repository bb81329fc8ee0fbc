#!/usr/bin/env bash
# Install cbeclab (and, with "dev", its test tools) into the current Python. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
extra=${1:-}
if [ "$extra" = "dev" ]; then
  "$PY" -m pip install -q --disable-pip-version-check -e ".[dev]"
else
  "$PY" -m pip install -q --disable-pip-version-check -e .
fi
# byte-compile the sources (pip does it for regular installs, not for editable ones): with
# PYTHONDONTWRITEBYTECODE set, every command would otherwise recompile cbeclab at start-up
"$PY" -m compileall -q src
