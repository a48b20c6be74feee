#!/usr/bin/env bash
# Installs the Debian 12 packages tinyml needs to build and test, plus any package names
# given as arguments. Packages already installed are skipped, so a second run is quick.
set -euo pipefail
pkgs=(cmake ninja-build g++ pkg-config git
      libgtest-dev libgmock-dev libbenchmark-dev
      libcli11-dev libtomlplusplus-dev nlohmann-json3-dev libfmt-dev
      libsndfile1-dev zlib1g-dev libopenblas-dev
      libmosquitto-dev mosquitto libsqlite3-dev libpq-dev libcpp-httplib-dev libssl-dev "$@")
missing=()
for p in "${pkgs[@]}"; do
  # A Node.js installed from elsewhere (e.g. NodeSource's nodejs, which bundles npm and
  # conflicts with Debian's npm package) already provides the npm command.
  if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
