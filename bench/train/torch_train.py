"""The PyTorch side of the training benchmark (bench/train/run.sh).

Reads the same data-stage datasets (.tds) and the layer list bench_train wrote, builds the
same model in PyTorch (same layers, sizes and He-uniform initialisation, zero biases),
trains it with the same optimizer, epochs and batch size, timing the training loop only,
then prints a RESULT line with the time and the test accuracy.
"""
import argparse
import json
import math
import struct
import sys
import time

import numpy as np
import torch
from torch import nn


def load_tds(path):
    """A tinyml dataset file: magic, version, header length, JSON header, body, CRC-32."""
    with open(path, "rb") as f:
        b = f.read()
    if b[:7] != b"TMLDATA":
        sys.exit(f"{path}: not a tinyml dataset")
    (hlen,) = struct.unpack_from("<I", b, 12)
    h = json.loads(b[16 : 16 + hlen])
    n = h["samples"]
    ss = int(np.prod(h["shape"]))
    body = 16 + hlen
    x = np.frombuffer(b, dtype="<f4", count=n * ss, offset=body).reshape([n] + h["shape"])
    y = np.frombuffer(b, dtype="<i4", count=n, offset=body + 4 * n * ss)
    return x.copy(), y.astype(np.int64), h


class GlobalAvgPool(nn.Module):
    def forward(self, x):
        return x.mean(dim=tuple(range(2, x.dim())))


def build(layers, shape, classes):
    """The layer list (tinyml's JSON declaration) as a torch model on channels-first input.

    tinyml is channels-last ([length, features] or [h, w, c]); the samples are transposed
    once to channels-first, so the flatten order differs but the function class, the
    parameter count and the work are the same.
    """
    mods = []
    if len(shape) == 2 and layers[0]["type"] == "reshape":
        shape = layers[0]["shape"]
        layers = layers[1:]
    if len(shape) == 2:  # [length, features] -> (C, L)
        cur = [shape[1], shape[0]]
    elif len(shape) == 3:  # [h, w, c] -> (C, H, W)
        cur = [shape[2], shape[0], shape[1]]
    else:
        cur = list(shape)
    for L in layers:
        t = L["type"]
        if t in ("conv1d", "conv2d"):
            k = L["kernel"]
            s = L.get("stride", 1)
            pad = 0 if L.get("padding", "same") == "valid" else "same"  # tinyml's default is same
            conv = (nn.Conv1d if t == "conv1d" else nn.Conv2d)(cur[0], L["filters"], k, stride=s, padding=pad)
            mods.append(conv)
            dims = [(d - k) // s + 1 if pad == 0 else math.ceil(d / s) for d in cur[1:]]
            cur = [L["filters"]] + dims
        elif t in ("max_pool1d", "max_pool2d", "average_pool1d", "average_pool2d"):
            p = L["pool"]
            cls = {"max_pool1d": nn.MaxPool1d, "max_pool2d": nn.MaxPool2d,
                   "average_pool1d": nn.AvgPool1d, "average_pool2d": nn.AvgPool2d}[t]
            mods.append(cls(p, stride=L.get("stride", p)))
            cur = [cur[0]] + [(d - p) // L.get("stride", p) + 1 for d in cur[1:]]
        elif t == "relu":
            mods.append(nn.ReLU())
        elif t == "global_average_pool":
            mods.append(GlobalAvgPool())
            cur = [cur[0]]
        elif t == "flatten":
            mods.append(nn.Flatten())
            cur = [int(np.prod(cur))]
        elif t == "dense":
            if len(cur) > 1:
                mods.append(nn.Flatten())
                cur = [int(np.prod(cur))]
            mods.append(nn.Linear(cur[0], L["units"]))
            cur = [L["units"]]
        else:
            sys.exit(f"torch_train.py: layer type {t} is not translated")
    model = nn.Sequential(*mods)
    for m in model.modules():  # He-uniform weights, zero biases, as tinyml initialises
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Linear)):
            fan_in = m.weight[0].numel()
            lim = math.sqrt(6.0 / fan_in)
            nn.init.uniform_(m.weight, -lim, lim)
            nn.init.zeros_(m.bias)
    return model


def to_channels_first(x):
    if x.ndim == 3:  # [n, length, features]
        return np.ascontiguousarray(x.transpose(0, 2, 1))
    if x.ndim == 4:
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    return x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--job", default="job")
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--layers", required=True)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--class-weights", default="none")
    ap.add_argument("--runs", type=int, default=1)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    xtr, ytr, h = load_tds(a.train)
    xte, yte, _ = load_tds(a.test)
    shape = h["shape"]
    layers = json.load(open(a.layers))
    if layers and layers[0]["type"] == "reshape":  # [h, w] images with one channel
        xtr = xtr.reshape([len(xtr)] + layers[0]["shape"])
        xte = xte.reshape([len(xte)] + layers[0]["shape"])
    classes = len(h["classes"])
    xtr_t = torch.from_numpy(to_channels_first(xtr))
    xte_t = torch.from_numpy(to_channels_first(xte))
    ytr_t = torch.from_numpy(ytr)
    weight = None
    if a.class_weights == "balanced":
        counts = np.bincount(ytr, minlength=classes)
        weight = torch.tensor([len(ytr) / (classes * c) if c else 0.0 for c in counts], dtype=torch.float32)
    loss_fn = nn.CrossEntropyLoss(weight=weight)
    n = len(ytr)

    # Each run trains a fresh model from the same seed; the fastest run's time is reported.
    best = float("inf")
    for _ in range(max(a.runs, 1)):
        torch.manual_seed(a.seed)
        model = build(layers, shape, classes)
        opt = torch.optim.Adam(model.parameters(), lr=a.lr, eps=1e-7)
        g = torch.Generator().manual_seed(a.seed)
        t0 = time.perf_counter()
        model.train()
        for _ in range(a.epochs):
            perm = torch.randperm(n, generator=g)
            total, seen = 0.0, 0
            for b in range(0, n, a.batch):
                idx = perm[b : b + a.batch]
                xb, yb = xtr_t[idx], ytr_t[idx]
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model(xb), yb)
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
                seen += len(idx)
        best = min(best, time.perf_counter() - t0)
    params = sum(p.numel() for p in model.parameters())

    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(xte_t[b : b + 256]).argmax(1) for b in range(0, len(yte), 256)]).numpy()
    acc = float((pred == yte).mean()) if len(yte) else 0.0
    print(f"RESULT side=pytorch job={a.job} seconds={best:.3f} accuracy={acc:.4f} "
          f"final_loss={total / seen:.4f} params={params} threads={a.threads} epochs={a.epochs} runs={a.runs}",
          flush=True)


if __name__ == "__main__":
    main()
