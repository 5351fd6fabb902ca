"""The loss catalog: every loss object with its aliases (Keras spelling first)."""

from ._hinge import categorical_hinge, hinge, squared_hinge
from ._probabilistic import (binary_crossentropy, categorical_crossentropy, log_loss,
                             sparse_categorical_crossentropy)
from ._probabilistic_extra import binary_focal_crossentropy, kl_divergence, poisson
from ._regression import (huber, mean_absolute_error, mean_squared_error, root_mean_squared_error,
                          smooth_l1, smooth_l2)
from ._regression_extra import (cosine_similarity, log_cosh, mean_absolute_percentage_error,
                                mean_squared_logarithmic_error)

CATALOG = {
    mean_squared_error: ("mse",),
    root_mean_squared_error: ("rmse",),
    mean_absolute_error: ("mae",),
    binary_crossentropy: ("bce",),
    categorical_crossentropy: ("cce", "cross_entropy"),
    sparse_categorical_crossentropy: (),
    log_loss: (),
    huber: (),
    smooth_l1: (),
    smooth_l2: (),
    log_cosh: (),
    hinge: (),
    squared_hinge: (),
    categorical_hinge: (),
    kl_divergence: ("kld",),
    poisson: (),
    mean_absolute_percentage_error: ("mape",),
    mean_squared_logarithmic_error: ("msle",),
    cosine_similarity: (),
    binary_focal_crossentropy: (),
}
