"""Keras's loss classes, generated from the registry: one class per registered loss.

``L.BinaryCrossentropy(from_logits=False, label_smoothing=0.0, axis=-1,
reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None)`` and its siblings take
Keras's arguments in Keras's order, accept Keras's reduction names (and ours), and call the
registered loss: ``obj(y_true, y_pred, sample_weight=None)`` is the reduced loss, ``obj.call``
the unreduced values, ``obj.grad`` the gradient; ``get_config``/``from_config`` round-trip.
``losses.get(obj)`` (and so ``compile(loss=obj)``) gives the configured :class:`Loss`.

>>> from actloss import losses as L
>>> bce = L.BinaryCrossentropy(from_logits=True, name="bce")
>>> bce.get_config()
{'name': 'bce', 'reduction': 'sum_over_batch_size', 'from_logits': True, 'label_smoothing': 0.0, 'axis': -1}
>>> round(bce([[0.0, 1.0]], [[-2.0, 3.0]]), 6)
0.087758

Where Keras's arguments differ from ours they are translated: ``BinaryFocalCrossentropy``'s
``apply_class_balancing``/``alpha`` become our ``alpha`` (None without balancing),
``SparseCategoricalCrossentropy``'s ``ignore_class`` our ``ignore_index``. ``dtype`` is kept for
the config; results have y_pred's dtype (Keras casts to floatx, float32 by default).
"""

from __future__ import annotations

import inspect

from ._base import Loss
from ._reduction import standardize_reduction

# Keras's class names where CamelCase of our name differs, and Keras's default `name=`
_CLASS_NAMES = {"kl_divergence": "KLDivergence"}
_DEFAULT_NAMES = {"huber": "huber_loss"}
# Keras's argument lists where they differ from our parameters (order or spelling)
_KERAS_ARGS = {
    "binary_focal_crossentropy": (("apply_class_balancing", False), ("alpha", 0.25),
                                  ("gamma", 2.0), ("from_logits", False),
                                  ("label_smoothing", 0.0), ("axis", -1)),
    "sparse_categorical_crossentropy": (("from_logits", False), ("ignore_class", None),
                                        ("reduction", "sum_over_batch_size"), ("axis", -1)),
}


def class_name(name: str) -> str:
    """Keras's class name for a registered loss name (``mean_squared_error`` ->
    ``MeanSquaredError``)."""
    return _CLASS_NAMES.get(name) or "".join(part[:1].upper() + part[1:]
                                             for part in name.split("_"))


def _to_ours(name: str, args: dict) -> dict:
    """Keras arguments -> our loss parameters."""
    args = dict(args)
    if name == "binary_focal_crossentropy":
        balance = args.pop("apply_class_balancing")
        args["alpha"] = args["alpha"] if balance else None
    if name == "sparse_categorical_crossentropy":
        args["ignore_index"] = args.pop("ignore_class")
    return args


def _to_keras(name: str, params: dict) -> dict:
    """Our loss parameters -> Keras arguments (the inverse of :func:`_to_ours`)."""
    args = {k: v for k, v in params.items() if k != "reduction"}
    if name == "binary_focal_crossentropy":
        alpha = args.pop("alpha")
        args = {"apply_class_balancing": alpha is not None,
                "alpha": 0.25 if alpha is None else alpha, **args}
    if name == "sparse_categorical_crossentropy":
        args["ignore_class"] = args.pop("ignore_index")
    return args


class KerasLoss:
    """Base of the generated Keras loss classes (see the module docstring)."""

    loss_object: Loss = None   # the registered loss, set on each generated class
    _arg_names: tuple = ()

    def __init__(self, *args, **kwargs):
        bound = self.__signature__.bind(*args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        self.name = values.pop("name")
        self.dtype = values.pop("dtype")
        self.reduction = values.pop("reduction")
        ours = standardize_reduction(self.reduction)
        self._args = values
        self.loss = self.loss_object.with_params(reduction=ours,
                                                 **_to_ours(self.loss_object.name, values))

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The loss reduced as ``reduction`` says (a float; an array for None/'none')."""
        return self.loss(y_true, y_pred, sample_weight=sample_weight)

    def call(self, y_true, y_pred):
        """The unreduced values (Keras's ``Loss.call``)."""
        return self.loss.per_sample(y_true, y_pred)

    def grad(self, y_true, y_pred, sample_weight=None):
        """d loss / d y_pred, consistent with the reduction."""
        return self.loss.grad(y_true, y_pred, sample_weight=sample_weight)

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction, **self._args}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"

    def __eq__(self, other):
        return type(other) is type(self) and other.get_config() == self.get_config()

    __hash__ = None


CLASSES: dict = {}
"""Keras class name -> generated class, one per registered loss (filled by :func:`make_class`)."""


def make_class(loss: Loss) -> type:
    """The Keras class of a registered loss (recorded in :data:`CLASSES`): its parameters (in
    Keras's order and spelling where Keras has the loss), then ``reduction``, ``name`` and
    ``dtype``."""
    P = inspect.Parameter
    spec = _KERAS_ARGS.get(loss.name) or tuple((k, v) for k, v in loss.defaults.items()
                                               if k != "reduction")
    params = [P(k, P.POSITIONAL_OR_KEYWORD, default=v) for k, v in spec]
    if "reduction" not in dict(spec):
        params.append(P("reduction", P.POSITIONAL_OR_KEYWORD, default="sum_over_batch_size"))
    params += [P("name", P.POSITIONAL_OR_KEYWORD, default=_DEFAULT_NAMES.get(loss.name, loss.name)),
               P("dtype", P.POSITIONAL_OR_KEYWORD, default=None)]
    signature = inspect.Signature([P("self", P.POSITIONAL_OR_KEYWORD), *params])
    cname = class_name(loss.name)
    doc = (f"Keras's ``{cname}{inspect.Signature(params)}``: the loss "
           f"``{loss.name}`` as a Keras class.\n\n{loss.summary}\n\n"
           f"See :data:`actloss.losses.{loss.name}` for the definition, the math and the "
           f"peers' conventions.")
    cls = type(cname, (KerasLoss,), {"loss_object": loss, "__doc__": doc,
                                     "__module__": "actloss.losses"})
    cls.__signature__ = inspect.Signature(params)
    cls.__init__.__signature__ = signature
    CLASSES[cname] = cls
    return cls


def serialize(obj) -> dict | str:
    """Keras's serialized form ``{"module", "class_name", "config", "registered_name"}`` of a
    Keras loss object or a :class:`Loss`."""
    if isinstance(obj, Loss):
        cls = CLASSES.get(class_name(obj.name))
        if cls is None:
            return obj.name
        reduction = {"mean": "sum_over_batch_size", "none": None}.get(obj.reduction,
                                                                     obj.reduction)
        obj = cls(**_to_keras(obj.name, obj.params), reduction=reduction)
    if not isinstance(obj, KerasLoss):
        raise TypeError(f"serialize expects a loss object; received {type(obj).__name__}")
    return {"module": "keras.losses", "class_name": type(obj).__name__,
            "config": obj.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """The Keras loss object of a :func:`serialize` result (``actloss.losses.deserialize`` also
    takes a name)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"deserialize expects a dict with 'class_name' and 'config' (as "
                         f"serialize returns) or a name; received {config!r}")
    classes = {**CLASSES, **(custom_objects or {})}
    cls = classes.get(config["class_name"])
    if cls is None:
        raise ValueError(f"Unknown loss class {config['class_name']!r}; known: "
                         f"{', '.join(sorted(classes))}")
    return cls.from_config(dict(config.get("config") or {}))


__all__ = ["KerasLoss", "make_class", "class_name", "serialize", "deserialize"]
