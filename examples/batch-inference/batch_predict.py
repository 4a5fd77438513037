#!/usr/bin/env python3
"""Scores one chunk of a dataset with the newest published model: the work of one pod of an
Indexed Job. Pod i (JOB_COMPLETION_INDEX) takes rows [i*n/CHUNKS, (i+1)*n/CHUNKS) and writes
OUTPUT/fashion-v<version>/part-<i>.csv with a rename, so a chunk is written once: a retried pod
whose chunk is already there leaves it as it is.

Environment: JOB_COMPLETION_INDEX (set by the Job), CHUNKS (the Job's completions),
MODEL_REPOSITORY (default /data/models), MODEL_NAME (default fashion), DATA_DIR (default
/data/fashion-mnist), OUTPUT (default /data/batch).
"""
import gzip
import os
import signal
import sys

import numpy as np
import torch

signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # PID 1: see train.py
env = os.environ.get
index, chunks = int(env("JOB_COMPLETION_INDEX")), int(env("CHUNKS"))
repository, name = env("MODEL_REPOSITORY", "/data/models"), env("MODEL_NAME", "fashion")
data_dir, output = env("DATA_DIR", "/data/fashion-mnist"), env("OUTPUT", "/data/batch")
torch.set_num_threads(1)

version = max(int(d) for d in os.listdir(os.path.join(repository, name)) if d.isdigit())
out_dir = os.path.join(output, f"{name}-v{version}")
part = os.path.join(out_dir, f"part-{index}.csv")
if os.path.exists(part):
    print(f"chunk {index}/{chunks} already scored by {name} version {version}: {part}")
    sys.exit(0)

with gzip.open(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz")) as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
lo, hi = index * len(images) // chunks, (index + 1) * len(images) // chunks
model = torch.jit.load(os.path.join(repository, name, str(version), "model.pt"))
with torch.no_grad():
    predictions = model(torch.from_numpy(images[lo:hi].astype(np.float32) / 255.0)).argmax(1).tolist()

os.makedirs(out_dir, exist_ok=True)
tmp = f"{part}.{os.getpid()}.tmp"
with open(tmp, "w") as f:
    f.writelines(f"{row},{p}\n" for row, p in zip(range(lo, hi), predictions))
os.rename(tmp, part)
print(f"chunk {index}/{chunks}: rows {lo}..{hi - 1} scored by {name} version {version} -> {part}")
