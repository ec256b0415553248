"""The article's method, for bench/knn.bench.ts: scikit-learn cosine_similarity over the full
n x n matrix, minus the identity, then the max per row (FiftyOne's CIFAR-10 dedup post does
exactly this). Memory grows with n^2: float32 n x n similarities, a float64 identity and a
float64 difference alive at the same time, about 20 * n^2 bytes.

Reads the first --n rows of n_total x dim float32 from --file and prints one JSON line.
"""
import argparse
import json
import resource
import time

import numpy as np
import sklearn
from sklearn.metrics.pairwise import cosine_similarity


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--dim", type=int, required=True)
    a = ap.parse_args()

    x = np.fromfile(a.file, dtype="<f4", count=a.n * a.dim).reshape(a.n, a.dim)
    rss0 = rss_bytes()
    t0 = time.perf_counter()
    try:
        sim = cosine_similarity(x)
        sim = sim - np.identity(len(sim))
        max_sim = sim.max(axis=1)
        nearest = sim.argmax(axis=1)
        ok, err = True, None
    except MemoryError as e:
        ok, err = False, f"MemoryError: {e}"
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"ok": ok, "error": err, "seconds": seconds, "rss_before": rss0, "max_rss": peak,
                      "n": a.n, "sklearn": sklearn.__version__}))


if __name__ == "__main__":
    main()
