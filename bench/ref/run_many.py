#!/usr/bin/python3
"""Runs the Python RAPTOR reference (../shared/ref/raptor_cluster_ref.py, imported unchanged) on several inputs
in ONE process, after a discarded warm-up run, so every timed run is warm: numba's JIT compilation of UMAP
happens once, as it would in a long-lived Python service, instead of being billed to each dataset.

Usage: run_many.py REFERENCE_SCRIPT WARMUP.json IN1.json [IN2.json ...]
Each input is {"embeddings": [[...]], "seed": 224}; prints one JSON line per input, in order:
{"clusters": [...], "labels": [...], "seconds": {"total": s, "umap": s, "gmm": s}}
"""
import importlib.util
import json
import sys
import time

import numpy as np


def load(path):
    spec = importlib.util.spec_from_file_location("raptor_cluster_ref", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run(ref, path):
    data = json.load(open(path))
    x = np.asarray(data["embeddings"], dtype=np.float64)
    ref.timing.update(umap=0.0, gmm=0.0)
    t = time.perf_counter()
    clusters = ref.cluster(x, int(data.get("seed", 224)))
    total = time.perf_counter() - t
    clusters = [[int(i) for i in c] for c in clusters]
    labels = [-1] * len(x)
    for ci, c in enumerate(clusters):
        for i in c:
            if labels[i] < 0:
                labels[i] = ci
    return {"clusters": clusters, "labels": labels, "seconds": {"total": total, **ref.timing}}


def main():
    ref = load(sys.argv[1])
    run(ref, sys.argv[2])  # warm-up, discarded
    for path in sys.argv[3:]:
        print(json.dumps(run(ref, path)), flush=True)


if __name__ == "__main__":
    main()
