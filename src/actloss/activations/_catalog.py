"""The activation catalog: every registered object with its aliases, gathered from the modules
that define them (forward and derivative side by side in each)."""

from ._keras_extra import (hard_shrink, soft_shrink, sparse_plus, sparse_sigmoid, squareplus,
                           threshold)
from ._classic import (elu, exponential, log_sigmoid, sigmoid, softplus, softsign, tanh,
                       tanh_shrink)
from ._modern import celu, gelu, mish, selu, silu
from ._piecewise import hard_sigmoid, hard_silu, hard_tanh, leaky_relu, linear, relu, relu6, step
from ._softmax import log_softmax, softmax

CATALOG = {
    step: ("heaviside", "binary_step"), linear: ("identity",), relu: (), leaky_relu: (),
    relu6: (), hard_tanh: (), hard_sigmoid: (), hard_silu: ("hard_swish",),
    sigmoid: ("logistic",), tanh: (), elu: (), exponential: (), softsign: (), softplus: (),
    log_sigmoid: (), selu: (), celu: (), gelu: (), silu: ("swish",), mish: (),
    softmax: (), log_softmax: (), sparse_sigmoid: (), sparse_plus: (), soft_shrink: (),
    hard_shrink: (), threshold: (), squareplus: (), tanh_shrink: (),
}
