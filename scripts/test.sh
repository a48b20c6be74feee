#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds the dev preset (ASan + UBSan,
# warnings as errors) and runs every test of the default suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh dataset-fashion-mnist
cmake --preset dev
cmake --build --preset dev
ctest --preset dev
