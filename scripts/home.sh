#!/usr/bin/env bash
# The main job: the home-automation example end to end. Installs what it needs, builds
# tinyml (release preset) and runs `tinyml build examples/home/tinyml.toml`: data, train,
# optimize, deploy (generated C++ verified on the host and on six emulated cores in QEMU,
# hence the cross compilers and QEMU) and simulate (the recordings replayed through the
# exported model and its rules: events caught, delay, false alarms per hour, actions).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh gcc-arm-none-eabi libnewlib-dev libstdc++-arm-none-eabi-dev \
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-arm qemu-system-misc
cmake --preset release >/dev/null
cmake --build --preset release --target tinyml
./build/release/src/tinyml build examples/home/tinyml.toml "$@"
