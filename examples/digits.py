"""Digits classifier: scikit-learn's bundled 8x8 digits, 64 -> 128 -> 64 -> 10, softmax.

Run: python examples/digits.py   (needs the 'data' extra: pip install 'actloss[data]')
"""
import numpy as np

from actloss.layers import Dense, Dropout
from actloss.models import Sequential
from actloss.optimizers import Adam
from actloss.utils import set_random_seed


def load(seed=0):
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:
        raise SystemExit("This example needs scikit-learn: pip install 'actloss[data]'")
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=seed)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0) + 1e-8
    return (X_train - mean) / std, (X_test - mean) / std, y_train, y_test


def main(seed=0, verbose=2):
    set_random_seed(seed)
    X_train, X_test, y_train, y_test = load()
    model = Sequential([
        Dense(128, activation="relu", input_shape=(64,)),
        Dense(64, activation="relu"),
        Dropout(0.1),
        Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=Adam(learning_rate=1e-3), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(X_train, np.eye(10)[y_train], epochs=30, batch_size=64, validation_split=0.1,
              verbose=verbose)
    loss, accuracy = model.evaluate(X_test, np.eye(10)[y_test], verbose=0)
    print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
