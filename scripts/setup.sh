#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment in .venv and install catcode into it.
# Usage: bash scripts/setup.sh [EXTRAS]   e.g. "test" or "cluster,notebooks" (default: none)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
extras="${1:-}"
if [ ! -x "$root/.venv/bin/python" ]; then
    python3 -m venv "$root/.venv"
fi
"$root/.venv/bin/python" -m pip install --quiet --upgrade pip
if [ -n "$extras" ]; then
    "$root/.venv/bin/python" -m pip install --quiet -e "$root[$extras]"
else
    "$root/.venv/bin/python" -m pip install --quiet -e "$root"
fi
