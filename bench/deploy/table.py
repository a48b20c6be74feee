#!/usr/bin/python3
"""Prints the table of bench/deploy/run.sh from the `tinyml verify --json` results
(argument 1, one JSON object per line), next to the published instructions per MAC of
TensorFlow Lite Micro on the MLPerf Tiny models."""
import json
import sys

# Published with the MLPerf Tiny int8 reference models and TFLM's exact outputs: TFLM at
# commit 90b983c2, release build, emulated Cortex-M4F (QEMU mps2-an386, Debian
# arm-none-eabi-gcc 12.2, -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard), instructions
# per inference counted by a QEMU plugin between two markers around one inference:
# (model, MACs, reference kernels per MAC, with CMSIS-NN per MAC).
PUBLISHED = [
    ("KWS (DS-CNN)", 2_656_768, 16.19, 2.90),
    ("VWW (MobileNet)", 7_489_664, 13.39, 3.22),
    ("IC (ResNet-8)", 12_501_632, 8.58, 2.39),
    ("AD (FC autoencoder)", 264_192, 7.39, 2.21),
]


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    ref = [p[2] for p in PUBLISHED]
    cmsis = [p[3] for p in PUBLISHED]
    print(f"{'model':<10} {'MACs':>9} {'core':<11} {'opt':<4} {'instr/inference':>16} {'instr/MAC':>10} "
          f"{'bytes equal':>12} {'x TFLM ref':>12} {'x CMSIS-NN':>12}")
    for d in rows:
        for r in d["results"]:
            if "instructions" not in r:
                continue
            per_mac = r["instructions"] / r["macs"] if r["macs"] else float("nan")
            same = f"{r['samples'] - r['mismatched_samples']}/{r['samples']}"
            lo_ref, hi_ref = per_mac / max(ref), per_mac / min(ref)
            lo_c, hi_c = per_mac / max(cmsis), per_mac / min(cmsis)
            print(f"{d['name']:<10} {r['macs']:>9,} {r['target']:<11} {r.get('optimisation', '-Os'):<4} "
                  f"{r['instructions']:>16,} {per_mac:>10.2f} {same:>12} "
                  f"{lo_ref:>5.2f}-{hi_ref:<5.2f} {lo_c:>5.2f}-{hi_c:<5.2f}")
    print()
    print("Published figures (TFLM on the MLPerf Tiny int8 models, emulated Cortex-M4F, instructions")
    print("per inference by a QEMU plugin, TFLM 90b983c2 release build, GCC 12.2):")
    print(f"{'model':<22} {'MACs':>11} {'TFLM reference kernels':>23} {'TFLM + CMSIS-NN':>16}")
    for name, macs, r, c in PUBLISHED:
        print(f"{name:<22} {macs:>11,} {r:>17.2f}/MAC {c:>11.2f}/MAC")
    print()
    print("x TFLM ref, x CMSIS-NN: tinyml's instructions per MAC over the published figure, from the")
    print("model with the most instructions per MAC to the one with the fewest (below 1: fewer than")
    print("TFLM's). The models differ (tinyml's examples, MLPerf Tiny's networks), so these compare")
    print("the cost per multiply-accumulate, not the same inference; a small model's fixed costs")
    print("(requantization per output, input quantization, calls) weigh more per MAC. Instructions")
    print("are not cycles: QEMU models no pipeline.")


if __name__ == "__main__":
    main()
