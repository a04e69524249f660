#!/usr/bin/python3
"""PyTorch CPU reference for `speechtok bench codec`: a SpeechTokenizer-shaped encoder + RVQ with random weights.

Same shapes as the C# benchmark (SEANet: n_filters 64, strides 8,5,4,2 used in reverse, one residual block per
stage, 2-layer BiLSTM with skip, final conv to `dimension`; RVQ n_q x codebook_size). Convolutions use plain
(already folded) weights, so PyTorch does not pay for weight norm: a conservative comparison.
Run with the Debian torch 1.13: /usr/bin/python3 bench/torch_codec.py --threads 2
Last line: {"rtf": ..., "rtf_batch8": ..., "cpu_rtf": ..., "cpu_rtf_batch8": ...} (audio seconds per wall / process CPU second).
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class PadConv(nn.Module):
    """Conv1d that pads like SEANet's SConv1d (reflect, extra right padding so the last window is full)."""

    def __init__(self, cin, cout, k, stride=1, dilation=1):
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, k, stride=stride, dilation=dilation)
        self.k, self.s, self.d = k, stride, dilation

    def forward(self, x):
        total = (self.k - 1) * self.d - (self.s - 1)
        length = x.shape[-1]
        frames = (length - self.k + total) / self.s + 1
        extra = (math.ceil(frames) - 1) * self.s + (self.k - total) - length
        right = total // 2
        return self.conv(F.pad(x, (total - right, right + extra), mode="reflect"))


class ResBlock(nn.Module):
    def __init__(self, dim, k, dilation):
        super().__init__()
        self.block = nn.Sequential(nn.ELU(), PadConv(dim, dim // 2, k, dilation=dilation), nn.ELU(), PadConv(dim // 2, dim, 1))
        self.shortcut = PadConv(dim, dim, 1)

    def forward(self, x):
        return self.shortcut(x) + self.block(x)


class Encoder(nn.Module):
    def __init__(self, n_filters, dimension, strides, lstm_layers):
        super().__init__()
        ch = n_filters
        layers = [PadConv(1, ch, 7)]
        for s in reversed(strides):
            layers += [ResBlock(ch, 3, 1), nn.ELU(), PadConv(ch, 2 * ch, 2 * s, stride=s)]
            ch *= 2
        self.pre = nn.Sequential(*layers)
        self.lstm = nn.LSTM(ch, ch, lstm_layers, bidirectional=True)
        self.post = nn.Sequential(nn.ELU(), PadConv(2 * ch, dimension, 7))

    def forward(self, x):
        x = self.pre(x)
        t = x.permute(2, 0, 1)
        y, _ = self.lstm(t)
        y = (y + t.repeat(1, 1, 2)).permute(1, 2, 0)
        return self.post(y)


def rvq_encode(e, codebooks):
    residual = e.transpose(1, 2).reshape(-1, e.shape[1])
    codes = []
    for embed in codebooks:
        et = embed.t()
        dist = -(residual.pow(2).sum(1, keepdim=True) - 2 * residual @ et + et.pow(2).sum(0, keepdim=True))
        idx = dist.max(dim=-1).indices
        residual = residual - embed[idx]
        codes.append(idx)
    return torch.stack(codes)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--n-filters", type=int, default=64)
    ap.add_argument("--dimension", type=int, default=1024)
    ap.add_argument("--codebook-size", type=int, default=1024)
    ap.add_argument("--n-q", type=int, default=8)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    enc = Encoder(a.n_filters, a.dimension, [8, 5, 4, 2], 2).eval()
    books = [torch.randn(a.codebook_size, a.dimension) for _ in range(a.n_q)]
    n = int(a.seconds * 16000)
    one = torch.rand(1, 1, n) * 0.2 - 0.1
    many = torch.rand(a.batch, 1, n) * 0.2 - 0.1

    def median(x):
        with torch.inference_mode():
            rvq_encode(enc(x), books)  # warm-up
            wall, cpu = [], []
            for _ in range(a.runs):
                t0, c0 = time.perf_counter(), time.process_time()
                rvq_encode(enc(x), books)
                wall.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
        return sorted(wall)[len(wall) // 2], sorted(cpu)[len(cpu) // 2]

    (single, single_cpu), (batched, batched_cpu) = median(one), median(many)
    rtf, rtf_b = round(a.seconds / single, 2), round(a.batch * a.seconds / batched, 2)
    print(f"torch {torch.__version__}, {a.threads} thread(s): 1 clip {single:.3f} s (RTF {rtf}, CPU {single_cpu:.3f} s), "
          f"{a.batch} clips {batched:.3f} s (RTF {rtf_b}, CPU {batched_cpu:.3f} s)")
    print(json.dumps({"rtf": rtf, f"rtf_batch{a.batch}": rtf_b, "threads": a.threads,
                      "cpu_rtf": round(a.seconds / single_cpu, 2), f"cpu_rtf_batch{a.batch}": round(a.batch * a.seconds / batched_cpu, 2)}))


if __name__ == "__main__":
    main()
