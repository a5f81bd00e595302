#!/usr/bin/env bash
# Installs the system programs the test suite drives: Chromium (real-browser tests),
# LibreOffice (the exported workbook must convert), PostgreSQL (store tests).
# Uses apt-get when run as root (CI, the dev container); otherwise it only reports.
set -uo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v soffice >/dev/null 2>&1 || command -v libreoffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing test programs: ${need[*]} (apt-get)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    || { echo "apt-get could not install ${need[*]}" >&2; exit 1; }
else
  echo "Missing test programs: ${need[*]}. Install them (e.g. sudo apt-get install ${need[*]})." >&2
  echo "Tests that need them will fail with a message saying so." >&2
fi
