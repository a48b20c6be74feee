#!/usr/bin/python3
"""Prints the table of bench/classic/run.sh from the RESULT lines of both sides (a file of
them, argument 1) and the prediction files (WORKDIR/<side>_<job>.txt, argument 2)."""
import sys


def parse(path):
    results = {}
    for line in open(path):
        if line.startswith("RESULT "):
            kv = dict(f.split("=", 1) for f in line.split()[1:])
            results[(kv["job"], kv["side"])] = kv
    return results


def main():
    res = parse(sys.argv[1])
    work = sys.argv[2]
    names = {"knn": "KNN predict (k=5, L2)", "forest": "random forest fit (100 trees)"}
    rows = []
    for job in ["knn", "forest"]:
        t, s = res.get((job, "tinyml")), res.get((job, "scikit-learn"))
        if not t or not s:
            continue
        a = [l.strip() for l in open(f"{work}/tinyml_{job}.txt")]
        b = [l.strip() for l in open(f"{work}/sklearn_{job}.txt")]
        same = sum(x == y for x, y in zip(a, b)) / max(len(a), 1)
        ratio = float(s["seconds"]) / float(t["seconds"])
        rows.append([f"{names[job]}, {t['train']} train / {t['test']} test", f"{float(t['seconds']):.3f}",
                     f"{float(s['seconds']):.3f}", f"{ratio:.2f}x", t["accuracy"], s["accuracy"],
                     f"{100 * same:.2f}%"])
    header = ["job", "tinyml (s)", "scikit-learn (s)", "sklearn/tinyml", "tinyml acc",
              "sklearn acc", "same predictions"]
    width = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    for r in [header] + rows:
        print("  ".join(c.ljust(width[0]) if i == 0 else c.rjust(width[i]) for i, c in enumerate(r)))
    print("(ratios > 1 mean tinyml is faster; times are in-process, best of the runs)")


if __name__ == "__main__":
    main()
