#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment in .venv and install catcode into it.
# Usage: bash scripts/setup.sh [EXTRAS]   e.g. "test" or "cluster,notebooks" (default: none)
#
# Idempotent and quiet: pip runs only when pyproject.toml or the extras changed since the last
# successful install (a stamp file .venv/.catcode-install holds their hash).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
extras="${1:-}"
venv="$root/.venv"
stamp="$venv/.catcode-install"
want="$( (cat "$root/pyproject.toml"; echo "extras=$extras") | sha256sum | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && grep -qx "$want" "$stamp"; then
    exit 0
fi
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONWARNINGS=ignore::DeprecationWarning
"$venv/bin/python" -m pip install -qq --upgrade pip
if [ -n "$extras" ]; then
    "$venv/bin/python" -m pip install -qq -e "$root[$extras]"
else
    "$venv/bin/python" -m pip install -qq -e "$root"
fi
# The stamp lists every extras set installed for this pyproject.toml (study.sh needs none,
# test.sh needs "test"; either run after the other must not reinstall).
{ [ -f "$stamp" ] && cat "$stamp"; echo "$want"; } > "$stamp.tmp" 2>/dev/null || echo "$want" > "$stamp.tmp"
mv "$stamp.tmp" "$stamp"
