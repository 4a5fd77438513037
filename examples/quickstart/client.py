#!/usr/bin/env python3
"""Calls the model server through its Service, as any application in the cluster would, on the
held-out test set, and prints a few predictions and the accuracy.

Environment: PREDICT_URL (default http://model-service/predict), DATA_DIR (default
/data/fashion-mnist), SAMPLES (default all 10,000), BATCH (rows per request, default 250).
"""
import json
import os
import time
import urllib.error
import urllib.request

import numpy as np

from fashion_mnist import CLASSES, images as load

url = os.environ.get("PREDICT_URL", "http://model-service/predict")
data_dir = os.environ.get("DATA_DIR", "/data/fashion-mnist")
batch = int(os.environ.get("BATCH", "250"))


samples = int(os.environ.get("SAMPLES", "10000"))
images, labels = (a[:samples] for a in load(data_dir, "t10k"))


def predict(rows, attempts=120):
    body = json.dumps({"instances": rows.tolist()}).encode()
    for attempt in range(attempts):
        try:
            request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=30) as r:
                return json.load(r)["predictions"], r.headers
        except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
            # The server may still be starting (no ready endpoint yet): wait, as a client should.
            if attempt == 0:
                print(f"waiting for {url}: {e}", flush=True)
            time.sleep(1)
    raise SystemExit(f"{url} did not answer")


right = 0
for i in range(0, samples, batch):
    logits, headers = predict(images[i:i + batch])
    if i == 0:
        start = time.time()  # from the first answer: the wait for the server is not throughput
    guess = np.argmax(np.array(logits), axis=1)
    right += int((guess == labels[i:i + batch]).sum())
    if i == 0:
        print(f"served by model {headers['Model-Name']} version {headers['Model-Version']} "
              f"(sha256 {headers['Model-Sha256'][:12]})")
        for g, want in list(zip(guess, labels))[:5]:
            print(f"  predicted {CLASSES[g]:<12} actual {CLASSES[want]}")
elapsed = time.time() - start
print(f"accuracy {right / samples:.4f} on {samples} held-out images "
      f"({(samples - batch) / elapsed:.0f} images/s through the Service, {batch} a request)")
