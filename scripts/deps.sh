#!/usr/bin/env bash
# Install the Debian packages shardsim builds against, if any are missing.
#   deps.sh        what `make`, `make test` and `make asan` need (gcc; OpenMPI
#                  for the MPI sweep executor and its test, tests/cli/mpi.sh;
#                  gnuplot-nox draws `report --html/--png`; chromium is for the
#                  tests only: tests/cli/report_html.sh renders the HTML report)
#   deps.sh fuzz   what `make fuzz` adds: clang and its runtime (libFuzzer)
# As root (or with password-less sudo) it runs apt-get; otherwise it prints the
# one command to run and fails, so `make` stops before a confusing build error.
set -eu
pkgs="build-essential cmake pkg-config libgsl-dev libsqlite3-dev sqlite3 libcjson-dev
libopenblas-dev liblapacke-dev check python3 libopenmpi-dev openmpi-bin gnuplot-nox
chromium"
if [ "${1:-}" = fuzz ]; then
  pkgs="$pkgs clang libclang-rt-dev"
fi
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "shardsim: installing missing Debian packages:$missing" >&2
if [ "$(id -u)" = 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  SUDO="sudo"
else
  echo "shardsim: run this first, then retry:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq $missing
