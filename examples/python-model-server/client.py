#!/usr/bin/env python3
"""Calls http://python-model-service/predict with the held-out digits and prints the accuracy."""
import json
import os
import time
import urllib.error
import urllib.request

import joblib

url = os.environ.get("PREDICT_URL", "http://python-model-service/predict")
saved = joblib.load(os.environ.get("MODEL_PATH", "/model/model.joblib"))
body = json.dumps({"instances": saved["X_test"].tolist()}).encode()
for attempt in range(120):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, body, {"Content-Type": "application/json"})) as r:
            predictions, served_by = json.load(r)["predictions"], r.headers["Served-By"]
            break
    except (urllib.error.URLError, ConnectionError) as e:
        if attempt == 0:
            print(f"waiting for {url}: {e}", flush=True)
        time.sleep(1)
else:
    raise SystemExit(f"{url} did not answer")
right = sum(int(p == t) for p, t in zip(predictions, saved["y_test"]))
print(f"served by {served_by}: accuracy {right / len(predictions):.4f} on {len(predictions)} held-out digits")
