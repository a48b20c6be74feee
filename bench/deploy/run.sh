#!/usr/bin/env bash
# Deploy benchmark: instructions per inference of tinyml's generated code on emulated
# Cortex-M cores, counted exactly by the QEMU plugin of `tinyml verify` (which also checks
# every output byte against the host's int8 run), next to the instruction-per-MAC figures
# published for TensorFlow Lite Micro's reference kernels and for TFLM with CMSIS-NN on the
# MLPerf Tiny models. Deterministic counts, no wall time. See bench/README.md.
#
#   bench/deploy/run.sh                               # the examples, built with tinyml build
#   bench/deploy/run.sh MODEL.tmq TEST.tds [...]      # given int8 models and test sets
#
# Environment (all optional):
#   EXAMPLES="home digits fashion"   examples built when no model is given (Fashion-MNIST
#                                    trains for a few minutes the first time)
#   TARGETS="cortex-m4"              cores to run on, e.g. "cortex-m4 cortex-m7 cortex-m33 cortex-m55"
#   OPTIMISATIONS="size speed"       -Os and/or -O2 (tinyml verify --speed)
#   SAMPLES=10                       inputs per core (every one is counted and compared)
#   TINYML=path/to/tinyml            use this binary instead of building the release preset
#   BENCH_CONFIGURE_ARGS="..."       extra arguments for `cmake --preset release`
#   BENCH_SKIP_BUILD=1               use the binary already in build/release
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python=/usr/bin/python3
# shellcheck source=../lib.sh
source "$here/../lib.sh"

# 1. Debian packages, only if missing: the Arm cross compiler and QEMU.
install_missing gcc-arm-none-eabi libnewlib-dev qemu-system-arm

# 2. The tinyml binary (it builds the QEMU instruction-counting plugin too).
cd "$root"
if [ -n "${TINYML:-}" ]; then
  bin="$(cd "$(dirname "$TINYML")" && pwd)/$(basename "$TINYML")"
else
  build_release tinyml tinyml_qemu_icount
  bin="$root/build/release/src/tinyml"
fi
[ -x "$bin" ] || { echo "run.sh: $bin was not built" >&2; exit 1; }
out="$root/build/release/bench/deploy"
mkdir -p "$out"

# 3. The models: the arguments in pairs, or the examples built up to the optimize stage.
models=()
if (($# > 0)); then
  (($# % 2 == 0)) || { echo "usage: $0 [MODEL.tmq TEST.tds]..." >&2; exit 2; }
  while (($# > 0)); do
    models+=("$(basename "$1" .tmq)|$1|$2")
    shift 2
  done
else
  for e in ${EXAMPLES:-home digits fashion}; do
    log "building examples/$e up to the optimize stage"
    "$bin" build "examples/$e/tinyml.toml" --build-dir "$out/$e" --until optimize >/dev/null
    models+=("$e|$out/$e/optimize/model.tmq|$out/$e/data/test.tds")
  done
fi

# 4. Every model on every core and optimisation level, one verify run each.
results="$out/results.jsonl"
: > "$results"
for m in "${models[@]}"; do
  IFS='|' read -r name model test <<<"$m"
  for opt in ${OPTIMISATIONS:-size speed}; do
    flag=()
    [ "$opt" = speed ] && flag=(--speed)
    for t in ${TARGETS:-cortex-m4}; do
      log "$name on $t, $([ "$opt" = speed ] && echo -O2 || echo -Os)"
      json="$out/$name-$t-$opt.json"
      status=0
      "$bin" verify "$model" "$test" --target "$t" --samples "${SAMPLES:-10}" "${flag[@]}" --json \
        --work-dir "$out/work/$name-$opt" >"$json" || status=$?
      ((status <= 1)) || { echo "run.sh: tinyml verify failed (exit $status), see $json" >&2; exit 1; }
      "$python" -c 'import json, sys; d = json.load(open(sys.argv[1])); d["name"] = sys.argv[2]; print(json.dumps(d))' \
        "$json" "$name" >>"$results"
    done
  done
done

{
  echo "tinyml deploy benchmark: instructions per inference on QEMU 7.2's Cortex-M boards (exact counts)"
  echo "compiler: $(arm-none-eabi-gcc --version | head -n 1); QEMU: $(qemu-system-arm --version | head -n 1)"
  echo
  "$python" "$here/table.py" "$results"
} | tee "$out/results.txt"
