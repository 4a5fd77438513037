#!/usr/bin/env python3
"""Trains a Fashion-MNIST classifier and publishes it as a new version in a model repository.

Checkpoints after every epoch and resumes from the last checkpoint when restarted, so a
training pod that is killed (node drained, OOMKilled, preempted) loses at most one epoch.
The exported version appears with a rename, so a model server never sees it half-written.

Environment (all optional):
  DATA_DIR          the dataset's idx files (default /data/fashion-mnist)
  CHECKPOINT_DIR    where checkpoints go; one per Job, so a retraining run starts fresh
                    (default /data/checkpoints/$JOB_NAME)
  MODEL_REPOSITORY  the model repository (default /data/models)
  MODEL_NAME        (default fashion)
  EPOCHS            (default 8)
  TRAIN_SAMPLES     how many of the 60,000 training images to use, e.g. "0:30000" or
                    "30000:60000" (default all)
  INIT_FROM_LATEST  "1": start from the weights of the newest published version (fine-tuning
                    on fresh data, as a retraining CronJob does)
"""
import json
import os
import signal
import sys
import time

import torch

from fashion_mnist import images

# A container's first process is PID 1 of its namespace, which the kernel gives no default
# SIGTERM action: without a handler, deleting the pod would let training run on for the whole
# grace period (and publish a model from a pod that was told to stop).
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

env = os.environ.get
data_dir = env("DATA_DIR", "/data/fashion-mnist")
job = env("JOB_NAME", "train")
checkpoint_dir = env("CHECKPOINT_DIR", f"/data/checkpoints/{job}")
repository = env("MODEL_REPOSITORY", "/data/models")
model_name = env("MODEL_NAME", "fashion")
epochs = int(env("EPOCHS", "8"))
lo, hi = (int(x) for x in env("TRAIN_SAMPLES", "0:60000").split(":"))
torch.set_num_threads(max(1, len(os.sched_getaffinity(0))))


def log(msg):
    print(time.strftime("%H:%M:%S"), msg, flush=True)


x_train, y_train = (torch.from_numpy(a[lo:hi]) for a in images(data_dir, "train"))
x_test, y_test = (torch.from_numpy(a) for a in images(data_dir, "t10k"))

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(),
                            torch.nn.Linear(128, 10))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)


def versions():
    try:
        return sorted(int(d) for d in os.listdir(os.path.join(repository, model_name)) if d.isdigit())
    except FileNotFoundError:
        return []


def accuracy():
    model.eval()
    with torch.no_grad():
        right = (model(x_test).argmax(1) == y_test).sum().item()
    model.train()
    return right / len(y_test)


os.makedirs(checkpoint_dir, exist_ok=True)
checkpoint = os.path.join(checkpoint_dir, "checkpoint.pt")
start = 0
if os.path.exists(checkpoint):
    state = torch.load(checkpoint)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    start = state["epoch"]
    log(f"resuming from checkpoint: epoch {start}/{epochs} done")
elif env("INIT_FROM_LATEST") == "1" and versions():
    latest = versions()[-1]
    published = torch.jit.load(os.path.join(repository, model_name, str(latest), "model.pt"))
    model.load_state_dict(published.state_dict())
    log(f"starting from the weights of {model_name} version {latest} (test accuracy {accuracy():.4f})")
log(f"training on {len(x_train)} images, epochs {start + 1}..{epochs}")

for epoch in range(start, epochs):
    t0 = time.time()
    order = torch.randperm(len(x_train), generator=torch.Generator().manual_seed(epoch))
    total = 0.0
    for i in range(0, len(order), 128):
        batch = order[i:i + 128]
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x_train[batch]), y_train[batch])
        loss.backward()
        optimizer.step()
        total += loss.item() * len(batch)
    # Written aside and renamed: a pod killed mid-write leaves the previous checkpoint intact.
    torch.save({"epoch": epoch + 1, "model": model.state_dict(), "optimizer": optimizer.state_dict()},
               checkpoint + ".tmp")
    os.replace(checkpoint + ".tmp", checkpoint)
    log(f"epoch {epoch + 1}/{epochs} loss {total / len(order):.4f} test accuracy {accuracy():.4f} "
        f"({time.time() - t0:.1f}s, checkpoint saved)")

acc = accuracy()
model.eval()
model_dir = os.path.join(repository, model_name)
os.makedirs(model_dir, exist_ok=True)
config = {"backend": "torchscript", "max_batch_size": 256,
          "inputs": [{"name": "image", "datatype": "FP32", "shape": [784]}],
          "outputs": [{"name": "logits", "datatype": "FP32", "shape": [10]}],
          "dynamic_batching": {"max_queue_delay_microseconds": 500}}
with open(os.path.join(model_dir, "config.json.tmp"), "w") as f:
    json.dump(config, f, indent=1)
os.replace(os.path.join(model_dir, "config.json.tmp"), os.path.join(model_dir, "config.json"))
staging = os.path.join(model_dir, f".staging-{os.getpid()}")
os.makedirs(staging, exist_ok=True)
torch.jit.script(model).save(os.path.join(staging, "model.pt"))
with open(os.path.join(staging, "metrics.json"), "w") as f:
    json.dump({"test_accuracy": acc, "epochs": epochs, "train_samples": [lo, hi], "job": job}, f)
version = (versions() or [0])[-1] + 1
os.rename(staging, os.path.join(model_dir, str(version)))
log(f"published {model_name} version {version} with test accuracy {acc:.4f}")
