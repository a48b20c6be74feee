#!/usr/bin/python3
"""Prints the table of bench/train/run.sh from the RESULT lines of both sides (argument 1).
Each side's line holds its fastest run; PyTorch's faster thread setting is compared."""
import sys

NAMES = {
    "home": "home 1-D CNN (cnn1d x0.5), 20 epochs",
    "fashion": "Fashion-MNIST 2-D CNN (cnn2d x0.5)",
    "mlp": "MLP on tabular digits, 30 epochs",
}


def main():
    res = [dict(f.split("=", 1) for f in l.split()[1:]) for l in open(sys.argv[1]) if l.startswith("RESULT ")]
    print(f"{'job':<40} {'tinyml s':>9} {'PyTorch s':>10} {'PyTorch setting':>16} {'speed-up':>9} "
          f"{'tinyml acc':>11} {'PyTorch acc':>12} {'diff (points)':>14}")
    for t in [r for r in res if r["side"] == "tinyml"]:
        peers = [r for r in res if r["side"] == "pytorch" and r["job"] == t["job"]]
        if not peers:
            continue
        p = min(peers, key=lambda r: float(r["seconds"]))
        ts, ps = float(t["seconds"]), float(p["seconds"])
        ta, pa = float(t["accuracy"]), float(p["accuracy"])
        name = NAMES.get(t["job"], t["job"])
        if t["job"] == "fashion":
            name += f", {t['epochs']} epochs"
        print(f"{name:<40} {ts:>9.3f} {ps:>10.3f} {p['threads'] + ' thread(s)':>16} {ps / ts:>8.2f}x "
              f"{ta:>11.4f} {pa:>12.4f} {100 * (ta - pa):>+14.2f}")
    print("speed-up = PyTorch time / tinyml time (training loop only; data already in memory).")


if __name__ == "__main__":
    main()
