#!/usr/bin/env bash
# Run the whole test suite from a fresh machine in two tiers: the fast tier (unit tests and
# doctests, `-m "not slow"`) first, then the slow tier (sampling-heavy tests, the README examples
# and the notebooks, `-m slow`). Extra arguments go to both pytest runs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh" test
cd "$root"
export MPLBACKEND=Agg
export CATCODE_NOTEBOOK_SHOTS="${CATCODE_NOTEBOOK_SHOTS:-2000}"
echo "== fast tier: pytest -m 'not slow'" >&2
# exit status 5 (no test selected, e.g. by -k) is not a failure of a tier
.venv/bin/python -m pytest -n 2 -m "not slow" --doctest-modules catcode tests "$@" || [ $? -eq 5 ]
echo "== slow tier: pytest -m slow" >&2
.venv/bin/python -m pytest -n 2 -m slow tests "$@" || [ $? -eq 5 ]
