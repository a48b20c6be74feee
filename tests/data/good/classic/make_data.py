# Writes sensors.csv, the small fixture of tests/cli/train_classic.test: three devices of
# 240 readings each (two features, one a second), "normal" readings around a slow daily-like
# wave and "event" episodes where both features jump. Deterministic (seeded).
import math
import random

rng = random.Random(7)
rows = ["time,device,level,temp,label"]
for device in (1, 2, 3):
    events = {1: [(40, 64), (150, 170)], 2: [(100, 120)], 3: [(60, 80), (200, 216)]}[device]
    for t in range(240):
        event = any(a <= t < b for a, b in events)
        level = 10 + 2 * math.sin(t / 20) + rng.gauss(0, 0.3) + (6 if event else 0)
        temp = 20 + math.cos(t / 30) + rng.gauss(0, 0.2) + (3 if event else 0)
        rows.append(f"{t},{device},{level:.3f},{temp:.3f},{int(event)}")
open("sensors.csv", "w").write("\n".join(rows) + "\n")
