#!/usr/bin/env bash
# Fresh machine -> install -> run the full demo spec on the bundled Guangzhou data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PY=${PYTHON:-python3}
exec "$PY" -m cbeclab demo --out out/demo "$@"
