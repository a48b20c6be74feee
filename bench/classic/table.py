#!/usr/bin/python3
"""Prints the table of bench/classic/run.sh from the RESULT lines of both sides (a file of
them, argument 1) and the prediction files (WORKDIR/<side>_<job>_<threads>.txt, argument 2).
A row pairs the tinyml and scikit-learn results of one job at one thread count."""
import sys


def parse(path):
    results = []
    for line in open(path):
        if line.startswith("RESULT "):
            results.append(dict(f.split("=", 1) for f in line.split()[1:]))
    return results


def main():
    res = parse(sys.argv[1])
    work = sys.argv[2]
    names = {"knn": "KNN predict (k=5, L2)", "forest": "random forest fit (100 trees)"}
    rows = []
    for t in [r for r in res if r["side"] == "tinyml"]:
        # KNN: scikit-learn always uses every core.
        s = next((r for r in res if r["side"] == "scikit-learn" and r["job"] == t["job"]
                  and (r["threads"] == t["threads"] or t["job"] == "knn")), None)
        if s is None:
            continue
        job, threads = t["job"], t["threads"]
        a = [l.strip() for l in open(f"{work}/tinyml_{job}_{threads}.txt")]
        b = [l.strip() for l in open(f"{work}/sklearn_{job}_{s['threads']}.txt")]
        same = sum(x == y for x, y in zip(a, b)) / max(len(a), 1)
        ratio = float(s["seconds"]) / float(t["seconds"])
        cpu_ratio = float(s["cpu_seconds"]) / float(t["cpu_seconds"])
        rows.append([f"{names[job]}, {t['train']} / {t['test']}, {threads} thread{'s' if threads != '1' else ''}",
                     f"{float(t['seconds']):.3f}", f"{float(s['seconds']):.3f}", f"{ratio:.2f}x",
                     f"{float(t['cpu_seconds']):.3f}", f"{float(s['cpu_seconds']):.3f}", f"{cpu_ratio:.2f}x",
                     t["accuracy"], s["accuracy"], f"{100 * same:.2f}%"])
    header = ["job (train / test images)", "tinyml (s)", "sklearn (s)", "ratio",
              "tinyml cpu (s)", "sklearn cpu (s)", "cpu ratio", "tinyml acc", "sklearn acc",
              "same pred."]
    width = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    for r in [header] + rows:
        print("  ".join(c.ljust(width[0]) if i == 0 else c.rjust(width[i]) for i, c in enumerate(r)))
    print("(wall and CPU seconds in-process, best of the runs; ratio = scikit-learn / tinyml, "
          "> 1 means tinyml is faster)")


if __name__ == "__main__":
    main()
