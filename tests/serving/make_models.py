#!/usr/bin/env python3
"""Builds the model repository the serving tests use, with Debian's packages only:
digits/1/model.pt, a TorchScript MLP (64-256-256-10, ~85k parameters) trained on
scikit-learn's bundled digits; cancer/1/model.json, an XGBoost classifier trained on its
breast-cancer data. expected.json holds each framework's own outputs for a few inputs, which
the server's answers must match.
Usage: make_models.py REPO"""
import json
import os
import sys

import numpy as np
import torch
import xgboost as xgb
from sklearn.datasets import load_breast_cancer, load_digits

repo = sys.argv[1]
expected = {}

torch.manual_seed(0)
X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(np.float32)
model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(),
                            torch.nn.Linear(256, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
xt, yt = torch.from_numpy(X), torch.from_numpy(y)
for epoch in range(20):
    perm = torch.randperm(len(xt))
    for i in range(0, len(xt), 64):
        idx = perm[i:i + 64]
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(xt[idx]), yt[idx]).backward()
        opt.step()
model.eval()
os.makedirs(f"{repo}/digits/1", exist_ok=True)
torch.jit.script(model).save(f"{repo}/digits/1/model.pt")
json.dump({"backend": "torchscript", "max_batch_size": 64,
           "inputs": [{"name": "input", "datatype": "FP32", "shape": [64]}],
           "outputs": [{"name": "logits", "datatype": "FP32", "shape": [10]}]},
          open(f"{repo}/digits/config.json", "w"))
with torch.no_grad():
    logits = model(xt[:8])
expected["digits"] = {"inputs": X[:8].tolist(), "outputs": logits.tolist(),
                      "accuracy": float((model(xt).argmax(1) == yt).float().mean())}

Xb, yb = load_breast_cancer(return_X_y=True)
Xb = Xb.astype(np.float32)
clf = xgb.XGBClassifier(n_estimators=20, max_depth=3, random_state=0)
clf.fit(Xb, yb)
os.makedirs(f"{repo}/cancer/1", exist_ok=True)
clf.get_booster().save_model(f"{repo}/cancer/1/model.json")
json.dump({"backend": "xgboost", "max_batch_size": 64,
           "inputs": [{"name": "input", "datatype": "FP32", "shape": [30]}],
           "outputs": [{"name": "probability", "datatype": "FP32", "shape": [1]}]},
          open(f"{repo}/cancer/config.json", "w"))
expected["cancer"] = {"inputs": Xb[:8].tolist(),
                      "outputs": clf.get_booster().inplace_predict(Xb[:8]).tolist()}

json.dump(expected, open(f"{repo}/expected.json", "w"))
print("digits accuracy %.3f" % expected["digits"]["accuracy"])
