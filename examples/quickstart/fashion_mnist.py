"""Reads Fashion-MNIST's idx files (as Debian's dataset-fashion-mnist ships them) with numpy."""
import gzip
import os

import numpy as np

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot"]


def idx(data_dir, name):
    """The array in the gzipped idx file `name` of `data_dir`, in its own shape."""
    with gzip.open(os.path.join(data_dir, name)) as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


def images(data_dir, split):
    """`split` ("train" or "t10k") as float32 rows of 784 pixels in [0, 1], and the labels."""
    x = idx(data_dir, f"{split}-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255.0
    return x, idx(data_dir, f"{split}-labels-idx1-ubyte.gz").astype(np.int64)
