r"""The training loop's loss step: the loss's own definition plus the one reduction.

``kernel(h, t, w, reduction=None, grad=True) -> (loss, g)``: ``h`` the output layer's result,
``t`` the prepared targets, ``w`` the sample weights or None; ``loss`` is the compiled loss's
reduction of the per-sample values (``reduction`` overrides it: ``'none'`` gives the weighted
values), ``g`` its gradient with respect to ``h`` (None with ``grad=False``). It runs under
the caller's ``np.errstate(all="ignore")`` (the training step and evaluate hold one per batch).

The fused output path (sigmoid + binary cross-entropy, softmax + categorical or sparse
cross-entropy, decided by :func:`actloss.models._checks.check_output_vs_loss`) is not a second
formula: ``h`` holds the logits and the kernel runs the same loss with ``from_logits=True``
(``Loss.value_and_grad_unchecked``), whose gradient :math:`\sigma(z) - y` or
:math:`\mathrm{softmax}(z) - y` is computed without cancellation where a probability rounds to
0 or 1. The tests compare it with the chain rule through the activation, on special values.
"""

from __future__ import annotations


def select(loss, targets, fused: bool, units: int):
    """The loss step for a compiled ``loss`` (through the logits when ``fused``)."""
    train = loss.with_params(from_logits=True) if fused else loss

    def kernel(h, t, w, reduction=None, grad=True):
        vals, g = train.value_and_grad_unchecked(t, h)
        return train.reduce(t, vals, w, g if grad else None, reduction)
    kernel.loss = train
    return kernel
