#!/usr/bin/env bash
# Training benchmark: tinyml vs PyTorch on the same data, the same model (the layer list
# tinyml resolves, built again in PyTorch), the same optimizer (Adam), epochs and batch
# size. Prints both training times, the ratio and both test accuracies. See bench/README.md.
#
#   bench/train/run.sh             # from any folder
#
# Environment (all optional):
#   RUNS=3                 timed runs per side and job (the fastest is reported)
#   FASHION_EPOCHS=4       epochs of the Fashion-MNIST CNN (the example trains 12)
#   JOBS="home fashion mlp"
#   BENCH_CONFIGURE_ARGS="..."   extra arguments for `cmake --preset release`
#   BENCH_SKIP_BUILD=1           use the binaries already in build/release
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python=/usr/bin/python3   # Debian's interpreter, where python3-torch installs
# shellcheck source=../lib.sh
source "$here/../lib.sh"

# 1. Debian packages, only if missing: PyTorch, OpenBLAS (PyTorch's fastest BLAS here)
#    and the Fashion-MNIST files.
install_missing python3-torch libopenblas0-pthread dataset-fashion-mnist

# 2. Build the release preset.
cd "$root"
build_release tinyml bench_train
tinyml="$root/build/release/src/tinyml"
bench="$root/build/release/bench/bench_train"
out="$root/build/release/bench/train"
mkdir -p "$out"

# 3. The data, made by tinyml's data stage (the same .tds files feed both sides).
log "data stage: home, Fashion-MNIST, digits"
"$tinyml" build examples/home/tinyml.toml --until data --build-dir "$out/home" >/dev/null
"$tinyml" build examples/fashion/tinyml.toml --until data --build-dir "$out/fashion" >/dev/null
"$tinyml" build bench/train/digits/tinyml.toml --until data --build-dir "$out/digits" >/dev/null

runs="${RUNS:-3}"
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
{
  echo "tinyml training benchmark: tinyml vs PyTorch, same data, model, optimizer, epochs, batch"
  echo "machine: $(nproc) cores, ${cpu:-unknown CPU}, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "PyTorch: $("$python" -c 'import torch; print(torch.__version__)') ($("$python" --version 2>&1)), run with 2 threads and with 1 (OPENBLAS_NUM_THREADS=1 for both); the faster is compared"
  echo "tinyml: release preset, 2 threads; best of $runs runs per side"
} | tee "$out/results.txt"
results="$out/result_lines.txt"
: > "$results"

# job name, data folder, tinyml model arguments, epochs, batch, lr, class weights
run_job() {
  local job="$1" data="$2" model="$3" epochs="$4" batch="$5" lr="$6" cw="$7"
  local common=(--job "$job" --train "$out/$data/data/train.tds" --test "$out/$data/data/test.tds"
                --epochs "$epochs" --batch "$batch" --lr "$lr" --class-weights "$cw")
  log "$job: tinyml"
  # shellcheck disable=SC2086  # model is a list of words
  "$bench" "${common[@]}" $model --layers-out "$out/$job.layers.json" --threads 2 --runs "$runs" | tee -a "$results"
  for t in 2 1; do
    log "$job: PyTorch, $t thread(s)"
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS="$t" "$python" "$here/torch_train.py" "${common[@]}" \
      --layers "$out/$job.layers.json" --threads "$t" --runs "$runs" | tee -a "$results"
  done
}

for job in ${JOBS:-home fashion mlp}; do
  case "$job" in
    home) run_job home home "--preset cnn1d --width 0.5" 20 32 0.003 balanced ;;
    fashion) run_job fashion fashion "--preset cnn2d --width 0.5" "${FASHION_EPOCHS:-4}" 64 0.002 none ;;
    mlp) run_job mlp digits "--preset mlp" 30 32 0.001 none ;;
    *) echo "run.sh: unknown job $job" >&2; exit 2 ;;
  esac
done
echo | tee -a "$out/results.txt"
"$python" "$here/table.py" "$results" | tee -a "$out/results.txt"
