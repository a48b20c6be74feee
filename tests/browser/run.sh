#!/usr/bin/env bash
# Runs the dashboard's browser test: installs playwright-core (npm, the locked version) once
# into the build folder, then runs dashboard.test.mjs there.
#   run.sh TINYML_BIN SOURCE_DIR WORK_DIR
set -euo pipefail
bin=$1 src=$2 work=$3
mods="$work/../browser-node"
mkdir -p "$mods"
cp "$src/tests/browser/package.json" "$src/tests/browser/package-lock.json" "$src/tests/browser/dashboard.test.mjs" "$mods/"
if [ ! -f "$mods/node_modules/playwright-core/package.json" ]; then
  (cd "$mods" && npm ci --no-audit --no-fund --loglevel=error)
fi
exec node "$mods/dashboard.test.mjs" "$bin" "$src" "$work"
