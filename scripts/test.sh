#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds the dev preset (ASan + UBSan,
# warnings as errors) and runs every test of the default suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# gcc-arm-none-eabi and friends: the runtime's Cortex-M4 cross-build test (label optimize)
# and the Arm firmware; the RISC-V compiler with picolibc's headers and the two QEMU
# packages: the firmware run on emulated boards (label deploy). postgresql: the gateway's
# PostgreSQL store test (label act). chromium, nodejs and npm: the dashboard's browser test
# (label browser; playwright-core comes from npm).
bash scripts/deps.sh dataset-fashion-mnist gcc-arm-none-eabi libnewlib-dev libstdc++-arm-none-eabi-dev \
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-arm qemu-system-misc \
  postgresql openssl chromium nodejs npm
cmake --preset dev
cmake --build --preset dev
ctest --preset dev
