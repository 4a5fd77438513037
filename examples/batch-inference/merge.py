#!/usr/bin/env python3
"""The batch's final step: waits until every chunk scored by the newest model version is
written, checks that each row was scored exactly once, writes predictions.csv beside the parts
and reports the accuracy against the dataset's labels.

Environment: CHUNKS, MODEL_REPOSITORY (default /data/models), MODEL_NAME (default fashion),
OUTPUT (default /data/batch), DATA_DIR (default /data/fashion-mnist).
"""
import gzip
import os
import signal
import sys
import time

import numpy as np

signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # PID 1: see train.py
env = os.environ.get
chunks = int(env("CHUNKS"))
repository, name = env("MODEL_REPOSITORY", "/data/models"), env("MODEL_NAME", "fashion")
output, data_dir = env("OUTPUT", "/data/batch"), env("DATA_DIR", "/data/fashion-mnist")

version = max(int(d) for d in os.listdir(os.path.join(repository, name)) if d.isdigit())
run = os.path.join(output, f"{name}-v{version}")
parts = [os.path.join(run, f"part-{i}.csv") for i in range(chunks)]
print(f"waiting for the {chunks} chunks of {run}", flush=True)
while not all(os.path.exists(p) for p in parts):
    time.sleep(1)

with gzip.open(os.path.join(data_dir, "t10k-labels-idx1-ubyte.gz")) as f:
    labels = np.frombuffer(f.read(), np.uint8, offset=8)
seen = {}
for part in parts:
    for line in open(part):
        row, prediction = map(int, line.split(","))
        if row in seen:
            sys.exit(f"row {row} was scored twice")
        seen[row] = prediction
missing = len(labels) - len(seen)
if missing:
    sys.exit(f"{missing} rows were not scored")
tmp = os.path.join(run, f"predictions.csv.{os.getpid()}.tmp")
with open(tmp, "w") as f:
    f.writelines(f"{row},{seen[row]}\n" for row in range(len(labels)))
os.rename(tmp, os.path.join(run, "predictions.csv"))
right = sum(int(seen[row] == labels[row]) for row in range(len(labels)))
print(f"merged {chunks} chunks scored by {name} version {version}: {len(seen)} rows, each scored once; "
      f"accuracy {right / len(labels):.4f}; written to {run}/predictions.csv")
