#!/usr/bin/python3
"""The pandas side of the data-stage benchmark: the same job as

    tinyml data clean IN.csv -o OUT.csv --missing interpolate --normalize zscore

that is: read the CSV, drop exact duplicate rows, fill holes strictly between two known
values by linear interpolation (leading and trailing holes stay empty), z-score every
sensor column with the population standard deviation (the time column is left as it is),
write the CSV without the index.

Usage: /usr/bin/python3 pandas_clean.py IN.csv OUT.csv [--time-column time] [--timings]

The configuration is pandas' fastest stock one for this job: the C parser (the default
engine; the pyarrow engine would need pyarrow, which is not installed), vectorised column
operations, no Python loops, to_csv's default float formatting (a float_format or a
chunksize made it slower). --timings prints the time of each step on stderr (not used when timing).
"""

import sys
import time

T0 = time.perf_counter()
import pandas as pd  # noqa: E402  (imported after T0 so that --timings shows its cost)


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    timings = "--timings" in argv
    time_col = "time"
    if "--time-column" in argv:
        time_col = argv[argv.index("--time-column") + 1]
        args.remove(time_col)
    if len(args) != 2:
        sys.stderr.write(__doc__)
        return 2
    src, dst = args
    marks = [("import pandas", time.perf_counter())]

    df = pd.read_csv(src, engine="c")
    marks.append(("read_csv", time.perf_counter()))

    df = df.drop_duplicates(ignore_index=True)
    marks.append(("drop_duplicates", time.perf_counter()))

    sensors = [c for c in df.columns if c != time_col]
    df[sensors] = df[sensors].interpolate(method="linear", limit_area="inside")
    marks.append(("interpolate", time.perf_counter()))

    mean = df[sensors].mean()
    std = df[sensors].std(ddof=0)
    df[sensors] = (df[sensors] - mean) / std.where(std > 0, 1.0)
    marks.append(("z-score", time.perf_counter()))

    df.to_csv(dst, index=False)
    marks.append(("to_csv", time.perf_counter()))

    if timings:
        prev = T0
        for name, t in marks:
            sys.stderr.write(f"{name:16s} {t - prev:7.3f} s\n")
            prev = t
        sys.stderr.write(f"{'total':16s} {prev - T0:7.3f} s (pandas {pd.__version__})\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
