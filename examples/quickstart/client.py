#!/usr/bin/env python3
"""Calls the model server through its Service, as any application in the cluster would, on the
held-out test set, and prints a few predictions and the accuracy.

Environment: PREDICT_URL (default http://model-service/predict), DATA_DIR (default
/data/fashion-mnist), SAMPLES (default all 10,000), BATCH (rows per request, default 250).
"""
import gzip
import json
import os
import time
import urllib.error
import urllib.request

import numpy as np

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot"]
url = os.environ.get("PREDICT_URL", "http://model-service/predict")
data_dir = os.environ.get("DATA_DIR", "/data/fashion-mnist")
batch = int(os.environ.get("BATCH", "250"))


def idx(name):
    with gzip.open(os.path.join(data_dir, name)) as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


samples = int(os.environ.get("SAMPLES", "10000"))
images = (idx("t10k-images-idx3-ubyte.gz").reshape(10000, -1)[:samples] / 255.0).astype(np.float32)
labels = idx("t10k-labels-idx1-ubyte.gz")[:samples]


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
