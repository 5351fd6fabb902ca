"""Lessons: each claim of the tutorials, shown and measured in one small experiment.

``actloss lesson`` lists them; ``actloss lesson NAME --out DIR`` runs one (a few seconds on two
cores), prints what it measured and writes ``DIR/NAME.html`` (the text and SVG figures) and,
with matplotlib, ``DIR/NAME.png``. The words come from the numbers of that run; when a run does
not show the claimed effect, the text says so (``Outcome.shown`` is False).

>>> from actloss import lessons
>>> "vanishing-gradients" in lessons.names()
True
>>> outcome = lessons.run("smooth-l1", small=True)
>>> outcome.shown, outcome.numbers["tutorial_vs_half_mse"]
(True, 0.0)
"""

from __future__ import annotations

import difflib

from ._base import Lesson, Outcome
from ._gradients import dying_relu, exploding_gradients, saturation, vanishing_gradients
from ._losses import outliers, smooth_l1, stable_softmax
from ._training import gradient_descent, learning_rate, step_cannot_learn

LESSONS = {lesson.name: lesson for lesson in (
    Lesson("vanishing-gradients", "Vanishing gradients: sigmoid vs ReLU + He",
           "In a deep sigmoid network the gradient shrinks layer by layer, so the first layers "
           "barely learn; ReLU with He initialization keeps it.", vanishing_gradients),
    Lesson("exploding-gradients", "Exploding gradients, clipping and normalization",
           "With large initial weights the gradient grows towards the input and training "
           "diverges; gradient clipping (and batch normalization) keep it in check.",
           exploding_gradients),
    Lesson("dying-relu", "Dying ReLU", "A high learning rate pushes ReLU units into the "
           "region where they output 0 for every input; they stop learning. Leaky ReLU and "
           "ELU do not die.", dying_relu),
    Lesson("saturation", "Saturating sigmoid and tanh",
           "With large initial weights sigmoid and tanh units saturate, their derivative is "
           "near 0 and the network learns slowly.", saturation),
    Lesson("outliers", "Outliers: MSE vs MAE, Huber and Smooth L1",
           "MSE lets a few outliers drag the fit; MAE, Huber and Smooth L1 are robust.",
           outliers),
    Lesson("step-cannot-learn", "The step activation cannot learn by gradient descent",
           "The step function's derivative is 0, so no gradient reaches the layers below it; "
           "sigmoid learns.", step_cannot_learn),
    Lesson("stable-softmax", "Stable softmax, sigmoid and cross-entropy",
           "The textbook formulas overflow at large logits (inf, NaN); the stable forms "
           "(max-subtraction, log-sigmoid, log-softmax) give the exact values.",
           stable_softmax),
    Lesson("smooth-l1", "Smooth L1, Huber and a formula that is really half-MSE",
           "The tutorials' np.maximum(0.5*e**2, abs(e)-0.5) is half the squared error "
           "everywhere; the real Smooth L1 takes the minimum, and equals Huber at delta = 1.",
           smooth_l1),
    Lesson("gradient-descent", "Batch, stochastic and mini-batch gradient descent, and Adam",
           "Batch descent is smooth but slow per epoch, stochastic descent noisy and slow per "
           "second, mini-batches the usual compromise; Adam needs the least tuning.",
           gradient_descent),
    Lesson("learning-rate", "The learning rate",
           "Too large diverges, too small crawls; a decay schedule and Adam sit in between.",
           learning_rate),
)}


def names() -> list[str]:
    """The lessons' names, in the order ``actloss lesson`` lists them."""
    return list(LESSONS)


def get(name: str) -> Lesson:
    """The lesson called ``name`` (``_`` and ``-`` alike); ValueError with close matches."""
    key = str(name).strip().lower().replace("_", "-")
    if key in LESSONS:
        return LESSONS[key]
    close = difflib.get_close_matches(key, LESSONS, n=2, cutoff=0.5)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    raise ValueError(f"unknown lesson {name!r}.{hint} Known: {', '.join(LESSONS)}")


def run(name: str, small: bool = False, seed: int = 0) -> Outcome:
    """Run lesson ``name``; ``small`` shrinks it (for tests). See :class:`Outcome`."""
    return get(name).run(small=small, seed=seed)


__all__ = ["LESSONS", "Lesson", "Outcome", "names", "get", "run"]
