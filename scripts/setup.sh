#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment in .venv and install catcode into it.
# Usage: source scripts/setup.sh [extras]   (extras default: test)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
extras="${1:-test}"
if [ ! -x "$root/.venv/bin/python" ]; then
    python3 -m venv "$root/.venv"
fi
"$root/.venv/bin/python" -m pip install --quiet --upgrade pip
"$root/.venv/bin/python" -m pip install --quiet -e "$root[$extras]"
