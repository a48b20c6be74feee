#!/usr/bin/env bash
# Classic-models benchmark: tinyml vs scikit-learn on Fashion-MNIST (KNN predict, random
# forest fit), times, accuracy of both and how many predictions agree. See bench/README.md.
#
#   bench/classic/run.sh           # from any folder
#
# Environment (all optional):
#   KNN_TRAIN=20000 KNN_TEST=2000        KNN subset (the first images of each file)
#   FOREST_TRAIN=10000 FOREST_TEST=2000  forest subset
#   KNN_RUNS=3 FOREST_RUNS=3             timed runs per side (the best is reported)
#   THREADS=2                            tinyml threads (scikit-learn uses every core); the
#                                        forest also runs with 1 thread on both sides
#   BENCH_CONFIGURE_ARGS="..."           extra arguments for `cmake --preset release`
#   BENCH_SKIP_BUILD=1                   use the binaries already in build/release
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python=/usr/bin/python3   # Debian's interpreter, where python3-sklearn installs
# shellcheck source=../lib.sh
source "$here/../lib.sh"

# 1. Debian packages, only if missing: scikit-learn, OpenBLAS (the BLAS scikit-learn's
#    NumPy then uses, its fastest configuration here) and the data set.
install_missing python3-sklearn libopenblas0-pthread dataset-fashion-mnist

# 2. Build the release preset.
cd "$root"
build_release bench_classic
bin="$root/build/release/bench/bench_classic"
[ -x "$bin" ] || { echo "run.sh: $bin was not built" >&2; exit 1; }

# 3. Run both sides, one job after the other.
out="$root/build/release/bench/classic"
mkdir -p "$out"
threads="${THREADS:-2}"
knn=(--train "${KNN_TRAIN:-20000}" --test "${KNN_TEST:-2000}" --runs "${KNN_RUNS:-3}")
forest=(--train "${FOREST_TRAIN:-10000}" --test "${FOREST_TEST:-2000}" --runs "${FOREST_RUNS:-3}")
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
blas="$(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu 2>/dev/null || echo unknown)"
{
  echo "tinyml classic-models benchmark (Fashion-MNIST, /usr/share/datasets/fashion-mnist)"
  echo "machine: $(nproc) cores, ${cpu:-unknown CPU}, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "scikit-learn: $("$python" -c 'import sklearn; print(sklearn.__version__)') ($("$python" --version 2>&1)), BLAS $blas"
  echo "tinyml: release preset, $threads threads"
} | tee "$out/results.txt"
results="$out/result_lines.txt"
: > "$results"
ncpu="$(nproc)"
log "KNN predict"
"$bin" knn "${knn[@]}" --threads "$threads" --out "$out/tinyml_knn_$threads.txt" | tee -a "$results"
"$python" "$here/sklearn_classic.py" knn "${knn[@]}" --out "$out/sklearn_knn_$ncpu.txt" | tee -a "$results"
log "random forest fit, all cores"
"$bin" forest "${forest[@]}" --threads "$threads" --out "$out/tinyml_forest_$threads.txt" | tee -a "$results"
"$python" "$here/sklearn_classic.py" forest "${forest[@]}" --out "$out/sklearn_forest_$ncpu.txt" | tee -a "$results"
log "random forest fit, one thread"
"$bin" forest "${forest[@]}" --threads 1 --out "$out/tinyml_forest_1.txt" | tee -a "$results"
"$python" "$here/sklearn_classic.py" forest "${forest[@]}" --jobs 1 --out "$out/sklearn_forest_1.txt" |
  tee -a "$results"
echo | tee -a "$out/results.txt"
"$python" "$here/table.py" "$results" "$out" | tee -a "$out/results.txt"
