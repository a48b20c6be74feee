#!/usr/bin/python3
"""The scikit-learn side of the classic-models benchmark (bench/classic/run.sh).

    /usr/bin/python3 sklearn_classic.py knn    [--train N] [--test M] [--k 5] [--runs 3] [--out FILE]
    /usr/bin/python3 sklearn_classic.py forest [--train N] [--test M] [--trees 100] [--jobs -1] [--runs 1]
                                               [--out FILE]
    common: [--data DIR] [--dtype float32|float64]

Reads the same Fashion-MNIST IDX files as bench_classic (the first N training and first M
test images, pixels 0..255 as float32 unless --dtype float64), times KNeighborsClassifier
predict (algorithm="brute", the fastest for 784 features: its ArgKmin reduction on all
cores, OpenMP, with BLAS for the distances) or RandomForestClassifier fit (n_jobs=-1 unless --jobs),
in-process (wall time and the process's CPU time, time.process_time(), which counts
joblib's worker threads but not worker processes), best of --runs, and prints one RESULT line like bench_classic's.
"""
import gzip
import os
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.neighbors import KNeighborsClassifier
from threadpoolctl import threadpool_info


def read_idx(path):
    raw = gzip.open(path).read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def main(argv):
    job = argv[1]
    opts = {"--train": None, "--test": "2000", "--k": "5", "--trees": "100", "--runs": None,
            "--jobs": "-1", "--out": "", "--data": "/usr/share/datasets/fashion-mnist", "--dtype": "float32"}
    for name, value in zip(argv[2::2], argv[3::2]):
        if name not in opts:
            sys.exit(f"sklearn_classic.py: unknown option {name}")
        opts[name] = value
    n_train = int(opts["--train"] or (20000 if job == "knn" else 10000))
    n_test = int(opts["--test"])
    runs = int(opts["--runs"] or (3 if job == "knn" else 1))
    dtype = np.dtype(opts["--dtype"])
    d = opts["--data"]
    xtr = read_idx(f"{d}/train-images-idx3-ubyte.gz")[:n_train].reshape(n_train, -1).astype(dtype)
    ytr = read_idx(f"{d}/train-labels-idx1-ubyte.gz")[:n_train].astype(np.int64)
    xte = read_idx(f"{d}/t10k-images-idx3-ubyte.gz")[:n_test].reshape(n_test, -1).astype(dtype)
    yte = read_idx(f"{d}/t10k-labels-idx1-ubyte.gz")[:n_test].astype(np.int64)

    best = best_cpu = float("inf")
    for r in range(runs):
        if job == "knn":
            model = KNeighborsClassifier(n_neighbors=int(opts["--k"]), algorithm="brute").fit(xtr, ytr)
            t0, c0 = time.perf_counter(), time.process_time()
            pred = model.predict(xte)
            t_run, cpu_run = time.perf_counter() - t0, time.process_time() - c0
        elif job == "forest":
            model = RandomForestClassifier(n_estimators=int(opts["--trees"]),
                                           n_jobs=int(opts["--jobs"]), random_state=42 + r)
            t0, c0 = time.perf_counter(), time.process_time()
            model.fit(xtr, ytr)
            t_run, cpu_run = time.perf_counter() - t0, time.process_time() - c0
            pred = model.predict(xte)
        else:
            sys.exit(f"sklearn_classic.py: unknown job {job}")
        best, best_cpu = min(best, t_run), min(best_cpu, cpu_run)
        print(f"  scikit-learn {job} run {r + 1}: {t_run:.3f} s (cpu {cpu_run:.3f} s)", file=sys.stderr)
    blas = ",".join(sorted({f"{i['internal_api']}:{i['num_threads']}threads"
                            for i in threadpool_info()}))
    jobs = int(opts["--jobs"])
    threads = os.cpu_count() if job == "knn" or jobs == -1 else jobs
    print(f"RESULT side=scikit-learn job={job} threads={threads} seconds={best:.4f} cpu_seconds={best_cpu:.4f} "
          f"accuracy={np.mean(pred == yte):.4f} train={n_train} test={n_test} "
          f"dim={xtr.shape[1]} version={sklearn.__version__} dtype={dtype} threadpools={blas}")
    if opts["--out"]:
        np.savetxt(opts["--out"], pred, fmt="%d")


if __name__ == "__main__":
    main(sys.argv)
