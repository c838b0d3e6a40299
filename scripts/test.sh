#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine, then runs it.
# System: PostgreSQL 15 (ledger tests), Debian chromium (dashboard, HTML/PDF reports, kaleido),
# a minimal TeX (LaTeX reports), poppler (PDF checks), gcc (the fake NVML library), faketime.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v gcc >/dev/null || need+=(gcc libc6-dev)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql)
command -v chromium >/dev/null || need+=(chromium)
command -v pdflatex >/dev/null || need+=(texlive-latex-base texlive-latex-recommended lmodern)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
command -v faketime >/dev/null || need+=(faketime)
command -v sqlite3 >/dev/null || need+=(sqlite3)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing system packages: ${need[*]}"
  # root runs apt-get itself; a user needs sudo (as in a venv, where pip stays the venv's)
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# torch is pinned to the CPU build first, so nothing pulls a multi-GB CUDA build. ecoledger
# itself does not depend on torch; the tests train small torch models. dev includes [all].
python3 -m pip install -q "torch==2.13.0" -e ".[dev]"

python3 -m pytest "$@"
