#!/usr/bin/python3
"""Writes the scikit-learn reference results that tests/classic/ compares against.

Run with Debian's interpreter, which has python3-sklearn (apt-get install python3-sklearn):

    /usr/bin/python3 tests/classic/make_sklearn_golden.py

It writes, into tests/classic/data/:
  knn_sklearn.txt     KNeighborsClassifier(algorithm="brute") predictions on iris, wine and
                      digits for k in {1, 3, 5}, metrics euclidean, manhattan, cosine, weights
                      uniform and distance; and on knn_ties.csv (L1 and L2, k up to 7).
  knn_ties.csv        a small synthetic set on an integer grid, full of distance ties.
  trees_sklearn.txt   test accuracy of DecisionTreeClassifier and RandomForestClassifier on
                      the same splits (mean, min and max over 5 random_state values).
  roc_auc_sklearn.txt roc_auc_score on a few score vectors with ties.

The data are the files in data/sklearn/ with their values rounded to float32 (what a tinyml
Dataset holds), given to scikit-learn as float64. The split is the one of
tinyml::classic::split_every(d, 3): sample i is in the test set when i % 3 == 2.

KNN runs with one OpenMP thread. scikit-learn's brute-force ArgKmin keeps each query's k
nearest in a max-heap fed in training-index order, unless it splits the training rows
between threads (its "parallel_on_Y" strategy, chosen for fewer than 4 * 256 * threads
queries), when the per-thread heaps are merged and ties at the k-th distance can keep other
rows: the result then depends on the thread count. One thread (or many queries) gives the
order-fed heap, which tinyml reproduces. The script prints how often the predictions
differ from a lowest-index tie rule and from two threads, as evidence of what is tested.
"""
import gzip
import os
import sys

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "data")
SETS = {"iris": "iris.csv", "wine": "wine_data.csv", "digits": "digits.csv.gz"}
SK_METRIC = {"l2": "euclidean", "l1": "manhattan", "cosine": "cosine"}


def load_csv(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        lines = f.read().splitlines()
    head = lines[0].split(",")
    skip = 1 if not all(_isnum(v) for v in head[2:]) else 0
    a = np.array([[float(v) for v in line.split(",")] for line in lines[skip:]])
    x = a[:, :-1].astype(np.float32).astype(np.float64)
    return x, a[:, -1].astype(np.int64)


def _isnum(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def split(n):
    test = np.arange(n) % 3 == 2
    return ~test, test


def knn(xtr, ytr, xte, k, metric, weights, threads=1):
    with threadpool_limits(limits=threads, user_api="openmp"):
        m = KNeighborsClassifier(n_neighbors=k, metric=SK_METRIC[metric], weights=weights,
                                 algorithm="brute")
        return m.fit(xtr, ytr).predict(xte)


def lowest_index_rule(xtr, ytr, xte, k, metric, weights, ncls):
    """k nearest by (distance, index), distances computed directly in float64."""
    out = []
    for q in xte:
        if metric == "l2":
            d = np.sqrt(((xtr - q) ** 2).sum(1))
        elif metric == "l1":
            d = np.abs(xtr - q).sum(1)
        else:
            nq = np.linalg.norm(q) or 1.0
            nt = np.linalg.norm(xtr, axis=1)
            nt[nt == 0] = 1.0
            d = np.clip(1 - (xtr / nt[:, None]) @ (q / nq), 0, 2)
        nb = np.lexsort((np.arange(len(d)), d))[:k]
        if weights == "uniform":
            w = np.ones(k)
        else:
            with np.errstate(divide="ignore"):
                w = 1 / d[nb]
            if np.isinf(w).any():
                w = np.isinf(w).astype(float)
        votes = np.zeros(ncls)
        for i, wi in zip(nb, w):
            votes[ytr[i]] += wi
        out.append(int(np.argmax(votes)))
    return np.array(out)


def make_ties():
    rng = np.random.RandomState(20261125)
    n = 400
    x = rng.randint(0, 4, size=(n, 3)).astype(np.float64)
    y = rng.randint(0, 3, size=n)
    path = os.path.join(OUT, "knn_ties.csv")
    with open(path, "w") as f:
        f.write(f"{n},3,a,b,c\n")
        for row, label in zip(x, y):
            f.write(",".join(str(int(v)) for v in row) + f",{label}\n")
    return x, y


def main():
    os.makedirs(OUT, exist_ok=True)
    data = {name: load_csv(os.path.join(ROOT, "data", "sklearn", f)) for name, f in SETS.items()}
    data["ties"] = make_ties()

    lines = [
        f"# scikit-learn {sklearn.__version__} KNeighborsClassifier(algorithm='brute'), one OpenMP",
        "# thread; written by tests/classic/make_sklearn_golden.py, do not edit.",
        "# dataset metric weights k: predicted class of each test sample (i % 3 == 2), in order",
    ]
    report = []
    for name, (x, y) in data.items():
        tr, te = split(len(y))
        ncls = int(y.max()) + 1
        metrics = ["l2", "l1"] if name == "ties" else ["l2", "l1", "cosine"]
        ks = [1, 3, 5, 7] if name == "ties" else [1, 3, 5]
        for metric in metrics:
            for weights in ["uniform", "distance"]:
                for k in ks:
                    pred = knn(x[tr], y[tr], x[te], k, metric, weights)
                    two = knn(x[tr], y[tr], x[te], k, metric, weights, threads=2)
                    low = lowest_index_rule(x[tr], y[tr], x[te], k, metric, weights, ncls)
                    lines.append(f"{name} {metric} {weights} {k}: " + " ".join(map(str, pred)))
                    report.append(f"{name:6} {metric:6} {weights:8} k={k}: accuracy "
                                  f"{np.mean(pred == y[te]):.4f}; differs from the lowest-index "
                                  f"tie rule on {int((pred != low).sum())}, from 2 threads on "
                                  f"{int((pred != two).sum())} of {te.sum()}")
        if name == "ties":
            for weights in ["uniform", "distance"]:
                for k in ks:
                    pred = knn(x[tr], y[tr], x[te], k, "cosine", weights)
                    low = lowest_index_rule(x[tr], y[tr], x[te], k, "cosine", weights, ncls)
                    report.append(f"ties   cosine {weights:8} k={k}: (not a fixture) differs "
                                  f"from the lowest-index tie rule on {int((pred != low).sum())}")
    with open(os.path.join(OUT, "knn_sklearn.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")

    # Trees and forests: accuracy on the same split, over 5 random states.
    tlines = [
        f"# scikit-learn {sklearn.__version__} test accuracy (i % 3 == 2) over random_state 0..4;",
        "# written by tests/classic/make_sklearn_golden.py, do not edit.",
        "# dataset model criterion max_depth min_samples_leaf n_trees: mean min max",
    ]
    for name in ["iris", "wine", "digits"]:
        x, y = data[name]
        tr, te = split(len(y))
        configs = [("tree", "gini", None, 1, 1), ("tree", "entropy", None, 1, 1),
                   ("tree", "gini", 3, 1, 1), ("tree", "gini", None, 5, 1),
                   ("forest", "gini", None, 1, 100), ("forest", "entropy", None, 1, 100)]
        for model, crit, depth, leaf, trees in configs:
            accs = []
            for seed in range(5):
                if model == "tree":
                    m = DecisionTreeClassifier(criterion=crit, max_depth=depth,
                                               min_samples_leaf=leaf, random_state=seed)
                else:
                    m = RandomForestClassifier(n_estimators=trees, criterion=crit,
                                               max_depth=depth, min_samples_leaf=leaf,
                                               random_state=seed, n_jobs=1)
                accs.append(np.mean(m.fit(x[tr], y[tr]).predict(x[te]) == y[te]))
            tlines.append(f"{name} {model} {crit} {depth or 0} {leaf} {trees}: "
                          f"{np.mean(accs):.4f} {min(accs):.4f} {max(accs):.4f}")
            report.append(tlines[-1])
    with open(os.path.join(OUT, "trees_sklearn.txt"), "w") as f:
        f.write("\n".join(tlines) + "\n")

    # ROC AUC with ties.
    rng = np.random.RandomState(7)
    cases = [
        ([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]),
        ([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]),
        ([1, 2, 2, 3, 3, 3, 4], [0, 0, 1, 0, 1, 1, 1]),
        (list(rng.randint(0, 5, size=40)), list(rng.randint(0, 2, size=40))),
    ]
    alines = [f"# scikit-learn {sklearn.__version__} roc_auc_score; written by "
              "tests/classic/make_sklearn_golden.py, do not edit.",
              "# auc | scores | labels"]
    for s, l in cases:
        auc = roc_auc_score(l, s)
        alines.append(f"{auc!r} | {' '.join(str(float(v)) for v in s)} | "
                      f"{' '.join(str(int(v)) for v in l)}")
    with open(os.path.join(OUT, "roc_auc_sklearn.txt"), "w") as f:
        f.write("\n".join(alines) + "\n")

    print("\n".join(report))


if __name__ == "__main__":
    sys.exit(main())
