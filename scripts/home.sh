#!/usr/bin/env bash
# The main job: the home-automation example end to end. Installs what it needs, builds
# tinyml (release preset) and runs `tinyml build examples/home/tinyml.toml`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target tinyml
./build/release/src/tinyml build examples/home/tinyml.toml "$@"
