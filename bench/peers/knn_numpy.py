"""numpy peer for bench/knn.bench.ts: all-pairs top-k by cosine on L2-normalised rows,
the usual blocked way (one block of rows against all rows, BLAS matmul, then selection).

Reads n x dim float32 (raw, little-endian) from --file and prints one JSON line:
seconds (excluding the file read), rss before the search, peak RSS, and the top-1 indices are
written to --out (int32) so the bench can check that both implementations agree.
"""
import argparse
import json
import resource
import time

import numpy as np


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--dim", type=int, required=True)
    ap.add_argument("--k", type=int, default=1, help="1: argmax per row; >1: argpartition + sort")
    ap.add_argument("--block", type=int, default=4096)
    ap.add_argument("--out", help="write top-1 indices here (int32)")
    a = ap.parse_args()

    x = np.fromfile(a.file, dtype="<f4", count=a.n * a.dim).reshape(a.n, a.dim)
    rss0 = rss_bytes()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    k = a.k
    top_idx = np.empty((a.n, k), dtype=np.int32)
    top_val = np.empty((a.n, k), dtype=np.float32)
    for b0 in range(0, a.n, a.block):
        b1 = min(a.n, b0 + a.block)
        s = x[b0:b1] @ x.T  # (b1-b0) x n float32
        rows = np.arange(b1 - b0)
        s[rows, b0 + rows] = -np.inf  # exclude self
        if k == 1:
            j = s.argmax(axis=1)
            top_idx[b0:b1, 0] = j
            top_val[b0:b1, 0] = s[rows, j]
        else:
            part = np.argpartition(-s, k - 1, axis=1)[:, :k]
            vals = np.take_along_axis(s, part, axis=1)
            order = np.argsort(-vals, axis=1, kind="stable")
            top_idx[b0:b1] = np.take_along_axis(part, order, axis=1)
            top_val[b0:b1] = np.take_along_axis(vals, order, axis=1)
        del s
    seconds = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if a.out:
        top_idx[:, 0].astype("<i4").tofile(a.out)
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "rss_before": rss0, "max_rss": peak, "k": k,
                      "numpy": np.__version__, "block": a.block}))


if __name__ == "__main__":
    main()
