"""The guides' MNIST, replaced by scikit-learn's ``load_digits`` (no network here): 8x8 images
with values 0..16 instead of 28x28 with 0..255. Split as ``mnist.load_data()`` splits: the
first 1,497 images for training, the last 300 for testing."""

import numpy as np


def load_data():
    from sklearn.datasets import load_digits
    digits = load_digits()
    x, y = digits.images.astype("uint8"), digits.target.astype("uint8")
    return (x[:1497], y[:1497]), (x[1497:], y[1497:])


PIXEL_MAX = 16.0  # MNIST: 255
IMAGE_SIZE = 64   # MNIST: 784
assert np.uint8(16) == 16
