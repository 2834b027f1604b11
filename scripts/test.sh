#!/usr/bin/env bash
# Run the whole test suite (unit tests, doctests, notebooks) from a fresh machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh" test
cd "$root"
export MPLBACKEND=Agg
export CATCODE_NOTEBOOK_SHOTS="${CATCODE_NOTEBOOK_SHOTS:-2000}"
.venv/bin/python -m pytest -n 2 --doctest-modules catcode tests "$@"
