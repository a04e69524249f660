#!/usr/bin/python3
"""torch.mm GFLOP/s with the same protocol as `speechtok bench gemm` (warm-up, median of timed runs).

Run with Debian's interpreter (/usr/bin/python3, python3-torch 1.13), not a pyenv python.
The last line printed is {"m":..,"n":..,"k":..,"threads":..,"gflops":..}.
"""
import argparse
import json
import os
import time

# Must be set before OpenMP starts: idle OpenMP threads must not spin on cores shared with other work.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--m", type=int, default=2048)
    ap.add_argument("--n", type=int, default=2048)
    ap.add_argument("--k", type=int, default=2048)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--transa", action="store_true", help="A stored [k, m]")
    ap.add_argument("--transb", action="store_true", help="B stored [n, k]")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(1)
    a = torch.rand(args.k, args.m, generator=g).t() if args.transa else torch.rand(args.m, args.k, generator=g)
    b = torch.rand(args.n, args.k, generator=g).t() if args.transb else torch.rand(args.k, args.n, generator=g)
    c = torch.empty(args.m, args.n)
    flops = 2.0 * args.m * args.n * args.k
    reps = max(1, min(1000, int(2e7 / flops)))
    t0 = time.perf_counter()
    i = 0
    while i < 3 or (time.perf_counter() - t0 < 0.3 and i < 1000):
        torch.mm(a, b, out=c)
        i += 1
    times = []
    cpu0 = time.process_time()
    for _ in range(max(5, args.runs)):
        t = time.perf_counter()
        for _ in range(reps):
            torch.mm(a, b, out=c)
        times.append((time.perf_counter() - t) / reps)
    # CPU time is a cross-check under background load: time spent descheduled does not count.
    cpu = time.process_time() - cpu0
    times.sort()
    med = times[len(times) // 2]
    print(f"torch {torch.__version__} mm {args.m}x{args.n}x{args.k}, {args.threads} thread(s): "
          f"median {med * 1e3:.3f} ms (min {times[0] * 1e3:.3f}, max {times[-1] * 1e3:.3f}); "
          f"{flops * reps * len(times) / cpu / 1e9:.1f} GFLOP per CPU-second")
    print(json.dumps({"m": args.m, "n": args.n, "k": args.k, "threads": args.threads,
                      "gflops": round(flops / med / 1e9, 2)}, separators=(",", ":")))


if __name__ == "__main__":
    main()
