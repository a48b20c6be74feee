#!/usr/bin/env bash
# Data-stage benchmark: tinyml vs pandas on the same cleaning job. See bench/README.md.
#
#   bench/data/run.sh            # from any folder
#
# Environment (all optional):
#   ROWS=1000000                  rows of the generated CSV (duplicates included)
#   RUNS=3                        timed runs of each command (the best time is reported)
#   BENCH_CONFIGURE_ARGS="..."    extra arguments for `cmake --preset release`
#   BENCH_SKIP_BUILD=1            use the binaries already in build/release
#
# Steps: install python3-pandas with apt-get if it is missing; configure and build the
# `release` preset; generate the CSV into build/release/bench/data-stage/ (only when it is
# missing or the generator changed); time both commands; check that their outputs agree;
# print the table (also saved as results.txt beside the CSV).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rows="${ROWS:-1000000}"
runs="${RUNS:-3}"
python=/usr/bin/python3   # Debian's interpreter, where python3-pandas installs

log() { printf '== %s\n' "$*" >&2; }

# 1. pandas (Debian's package), only if missing.
if ! "$python" -c 'import pandas' >/dev/null 2>&1; then
  log "installing python3-pandas"
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y python3-pandas
fi

# 2. Build the release preset.
cd "$root"
if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
  log "configuring and building the release preset"
  # shellcheck disable=SC2086  # BENCH_CONFIGURE_ARGS is a list of words
  cmake --preset release ${BENCH_CONFIGURE_ARGS:-} >/dev/null
  cmake --build build/release -j2 >&2
fi
bin="$root/build/release"
for f in "$bin/src/tinyml" "$bin/bench/compare" "$bin/bench/gen_sensor_csv"; do
  [ -x "$f" ] || { echo "run.sh: $f was not built" >&2; exit 1; }
done

# 3. The input CSV, regenerated when missing or older than its generator.
out="$bin/bench/data-stage"
mkdir -p "$out"
csv="$out/sensor_${rows}.csv"
stats="$csv.stats"
if [ ! -s "$csv" ] || [ ! -s "$stats" ] || [ "$bin/bench/gen_sensor_csv" -nt "$csv" ]; then
  log "generating $csv"
  "$bin/bench/gen_sensor_csv" "$csv" --rows "$rows" > "$stats.tmp"
  mv "$stats.tmp" "$stats"
fi
distinct="$(sed -n 's/.*distinct_rows=\([0-9]*\).*/\1/p' "$stats")"

# 4. Time both, check the outputs, print the table.
pandas_version="$("$python" -c 'import pandas; print(pandas.__version__)')"
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
{
  echo "tinyml data-stage benchmark: clean = drop duplicate rows, interpolate, z-score, write CSV"
  echo "input:   $csv ($(cat "$stats"))"
  echo "machine: $(nproc) cores, ${cpu:-unknown CPU}, $(uname -sr)"
  echo "tinyml:  $("$bin/src/tinyml" --version) (release preset)"
  echo "pandas:  $pandas_version (Debian python3-pandas, $("$python" --version 2>&1), C parser engine)"
  echo "runs:    $runs of each, interleaved; wall time is the best run, peak RSS the largest"
} | tee "$out/results.txt"
log "timing (this takes a while)"
"$bin/bench/compare" --runs "$runs" --target-speedup 3 \
  --job "clean ${rows} rows" \
  --cmd tinyml "$bin/src/tinyml" data clean "$csv" -o "$out/tinyml_out.csv" \
    --missing interpolate --normalize zscore \
  --cmd pandas "$python" "$here/pandas_clean.py" "$csv" "$out/pandas_out.csv" \
  --check "$python" "$here/check_agree.py" "$out/tinyml_out.csv" "$out/pandas_out.csv" \
    --expect-rows "$distinct" \
  | tee -a "$out/results.txt"
