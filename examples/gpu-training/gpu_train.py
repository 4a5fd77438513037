#!/usr/bin/env python3
"""Trains a small PyTorch MLP on scikit-learn's digits (or, without scikit-learn, synthetic
data) on the GPU the pod was given, or on the
CPU when the node's PyTorch has no CUDA (a node with --fake-gpus, or a CPU-only build), and says
which it used."""
import os
import signal
import sys
import time

import torch

signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # PID 1: see examples/quickstart/train.py
print(f"NVIDIA_VISIBLE_DEVICES={os.environ.get('NVIDIA_VISIBLE_DEVICES', '')}", flush=True)
print(f"CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', '')}", flush=True)
if torch.cuda.is_available():
    device = torch.device("cuda")
    props = torch.cuda.get_device_properties(0)
    print(f"training on GPU: {props.name}, {props.total_memory // 2**20} MiB "
          f"({torch.cuda.device_count()} visible)", flush=True)
else:
    device = torch.device("cpu")
    print(f"training on CPU: this PyTorch ({torch.__version__}) sees no CUDA device", flush=True)

torch.manual_seed(0)
try:
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    X, y = torch.tensor(X / 16.0, dtype=torch.float32), torch.tensor(y)
except ImportError:  # an image with PyTorch only: ten separable clusters stand in for the digits
    print("scikit-learn not installed: training on synthetic data", flush=True)
    y = torch.randint(0, 10, (1797,))
    X = torch.randn(10, 64)[y] + 0.5 * torch.randn(1797, 64)
X, y = X.to(device), y.to(device)
model = torch.nn.Sequential(torch.nn.Linear(64, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512), torch.nn.ReLU(),
                            torch.nn.Linear(512, 10)).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
started = time.time()
for epoch in range(int(os.environ.get("EPOCHS", "30"))):
    for i in range(0, len(X), 128):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(X[i:i + 128]), y[i:i + 128]).backward()
        optimizer.step()
accuracy = (model(X).argmax(1) == y).float().mean().item()
print(f"trained {epoch + 1} epochs in {time.time() - started:.1f}s on {device}: training accuracy {accuracy:.4f}")
