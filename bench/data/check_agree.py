#!/usr/bin/python3
"""Checks that two cleaned CSV files hold the same table: same columns in the same order,
same row count, empty cells in the same places, and every value equal within a tolerance
(|a - b| <= atol + rtol * |b|, as numpy.isclose). Prints one summary line; exits 0 when
they agree, 1 when they do not.

Usage: /usr/bin/python3 check_agree.py A.csv B.csv [--rtol 1e-6] [--atol 1e-9] [--expect-rows N]
"""

import sys

import numpy as np
import pandas as pd


def option(argv, name, default, kind):
    if name in argv:
        i = argv.index(name)
        value = argv[i + 1]
        del argv[i : i + 2]
        return kind(value)
    return default


def main(argv):
    argv = list(argv[1:])
    rtol = option(argv, "--rtol", 1e-6, float)
    atol = option(argv, "--atol", 1e-9, float)
    expect_rows = option(argv, "--expect-rows", None, int)
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    a_path, b_path = argv
    # round_trip: read every digit exactly, so that the comparison sees what was written.
    a = pd.read_csv(a_path, float_precision="round_trip")
    b = pd.read_csv(b_path, float_precision="round_trip")

    problems = []
    if list(a.columns) != list(b.columns):
        problems.append(f"columns differ: {list(a.columns)} vs {list(b.columns)}")
    if len(a) != len(b):
        problems.append(f"row counts differ: {len(a)} vs {len(b)}")
    if expect_rows is not None and len(a) != expect_rows:
        problems.append(f"expected {expect_rows} rows, found {len(a)}")
    max_abs = max_rel = 0.0
    mismatched = 0
    empty = 0
    if not problems:
        x = a.to_numpy(dtype=np.float64)
        y = b.to_numpy(dtype=np.float64)
        nx, ny = np.isnan(x), np.isnan(y)
        empty = int(nx.sum())
        if not np.array_equal(nx, ny):
            r, c = np.argwhere(nx != ny)[0]
            problems.append(
                f"empty cells differ ({int((nx != ny).sum())} cells), first at row {r + 2} "
                f"column '{a.columns[c]}': {x[r, c]!r} vs {y[r, c]!r}"
            )
        else:
            both = ~nx
            diff = np.abs(x[both] - y[both])
            scale = np.abs(y[both])
            if diff.size:
                max_abs = float(diff.max())
                # Relative differences of values near zero say nothing (a z-score of 1e-7
                # differing in its 13th digit); measure them where |value| >= 1e-3.
                big = scale >= 1e-3
                if big.any():
                    max_rel = float((diff[big] / scale[big]).max())
            bad = ~np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=True)
            mismatched = int(bad.sum())
            if mismatched:
                r, c = np.argwhere(bad)[0]
                problems.append(
                    f"{mismatched} values differ beyond rtol={rtol:g} atol={atol:g}, first at row "
                    f"{r + 2} column '{a.columns[c]}': {x[r, c]!r} vs {y[r, c]!r}"
                )

    if problems:
        print("DISAGREE: " + "; ".join(problems))
        return 1
    print(
        f"AGREE: {len(a)} rows x {len(a.columns)} columns, {empty} cells empty in both, "
        f"max |diff| {max_abs:.3g}, max rel diff {max_rel:.3g} where |value| >= 1e-3 "
        f"(tolerance rtol={rtol:g} atol={atol:g})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
