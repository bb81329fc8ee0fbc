#!/usr/bin/env bash
# Fresh machine -> install -> start the web workbench with the Guangzhou engine and Yongkang survey demo
# projects on its embedded store (out/workbench), and print the URL. Ctrl+C stops it.
# Extra options go to `cbeclab serve` (e.g. --port 8400, --no-browser, --host 0.0.0.0 --token T).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PY=${PYTHON:-python3}
exec "$PY" -m cbeclab serve --data out/workbench "$@"
