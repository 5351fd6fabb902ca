"""actloss.sklearn.MLPClassifier vs scikit-learn's MLPClassifier on load_digits (issue 14).

Same parameters for both (scikit-learn's defaults unless given below), the same 5 seeds, a
stratified 75/25 split per seed, standardized features; prints the test accuracy of each, their
mean and standard deviation, and the fit-time ratio (actloss / scikit-learn; below 1 is faster).

    OMP_NUM_THREADS=2 PYTHONPATH=src python benchmarks/sklearn_digits.py
    python benchmarks/sklearn_digits.py --seeds 2 --max-iter 20 --solver lbfgs
"""

import argparse
import time
import warnings

import numpy as np


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--max-iter", type=int, default=200)
    parser.add_argument("--hidden", type=int, nargs="+", default=[100])
    parser.add_argument("--solver", default="adam")
    parser.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    args = parser.parse_args(argv)

    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier as SkMLP
    from sklearn.preprocessing import StandardScaler

    from actloss.sklearn import MLPClassifier

    X, y = load_digits(return_X_y=True)
    X = X.astype(args.dtype)
    rows = {"actloss": ([], []), "sklearn": ([], [])}
    for seed in range(args.seeds):
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, stratify=y,
                                              random_state=seed)
        scaler = StandardScaler().fit(Xtr)
        Xtr, Xte = scaler.transform(Xtr).astype(args.dtype), scaler.transform(Xte).astype(args.dtype)
        for name, cls in (("actloss", MLPClassifier), ("sklearn", SkMLP)):
            est = cls(hidden_layer_sizes=tuple(args.hidden), solver=args.solver,
                      max_iter=args.max_iter, random_state=seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                t = time.perf_counter()
                est.fit(Xtr, ytr)
                elapsed = time.perf_counter() - t
            rows[name][0].append(est.score(Xte, yte))
            rows[name][1].append(elapsed)
            print(f"seed {seed} {name:8s} accuracy {rows[name][0][-1]:.4f} fit {elapsed:6.2f} s "
                  f"n_iter_ {est.n_iter_}")
    for name, (acc, times) in rows.items():
        print(f"{name:8s} accuracy {np.mean(acc):.4f} +- {np.std(acc):.4f}   "
              f"fit time {np.sum(times):.2f} s")
    ratio = np.sum(rows["actloss"][1]) / np.sum(rows["sklearn"][1])
    print(f"fit-time ratio actloss/sklearn: {ratio:.2f}")


if __name__ == "__main__":
    main()
