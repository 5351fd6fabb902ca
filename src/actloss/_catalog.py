"""One base for catalog objects (activations, losses): metadata, parameters, configuration,
equality and the gradient check that guards a user's registration, written once.

A catalog object is a named function with parameters and documentation. Subclasses add the
numerics (``Activation``: forward/grad/vjp; ``Loss``: per-sample value, gradient, reduction) and
declare, in ``PROPERTIES``, what layers, diagnostics and the lab may ask of them (for an
activation: can its units die, does it saturate, which initializer suits it) so that no caller
branches on names.

    >>> class Scaled(CatalogEntry):
    ...     kind = "demo"
    ...     PROPERTIES = {"monotonic": None}
    >>> s = Scaled("scaled", params={"k": 2.0}, param_aliases={"factor": "k"},
    ...            check=lambda k: None, formula="k x", monotonic="increasing")
    >>> s.with_params(factor=3.0)
    Scaled('scaled', k=3.0)
    >>> s.with_params(factor=3.0).get_config()
    {'name': 'scaled', 'k': 3.0}
    >>> s == s.with_params(k=2.0), s.monotonic
    (True, 'increasing')
"""

from __future__ import annotations

import numpy as np

from ._formula import latex_to_text
from ._validation import check_params

METADATA = ("formula", "derivative_formula", "output_range", "pros", "cons", "reference",
            "summary")
"""The documentation fields every catalog object carries (docs, ``actloss explain``, plots)."""


class CatalogEntry:
    """A named, parametrised catalog function with its documentation.

    Parameters
    ----------
    name : the registered name.
    params : the parameters and their defaults, ``{"alpha": 1.0}``; ``self.params`` holds the
        configured values (a copy made by :meth:`with_params` changes them, never the original).
    param_aliases : other spellings accepted by :meth:`with_params`, ``{"alpha": "negative_slope"}``.
    check : ``check(**params)`` raising ``ValueError``/``TypeError`` for a bad configuration;
        subclasses may refine what it receives with :meth:`_check_params`.
    formula, derivative_formula : LaTeX; output_range : text such as ``"(0, 1)"``;
    pros, cons : tuples of sentences; reference : the paper or source; summary : one line;
    doc : the docstring (the object's ``__doc__``).
    **properties : the values of the subclass's ``PROPERTIES`` (name -> default); anything else
        is a ``TypeError``, so a misspelt keyword is not silently dropped.
    """

    kind = "catalog entry"
    PROPERTIES: dict = {}

    def __init__(self, name, *, params=None, param_aliases=None, check=None, formula="",
                 derivative_formula="", output_range="", pros=(), cons=(), reference="",
                 summary="", doc=None, **properties):
        unknown = sorted(set(properties) - set(self.PROPERTIES))
        if unknown:
            known = ", ".join(sorted((*METADATA, *self.PROPERTIES))) or "none"
            raise TypeError(f"{self.kind} {name!r}: unexpected keyword(s) {', '.join(unknown)}; "
                            f"the metadata and properties are: {known}")
        self.name = name
        self._defaults = dict(params or {})
        self._param_aliases = dict(param_aliases or {})
        self._check = check
        self.params = dict(self._defaults)
        self._cache: dict = {}  # what subclasses derive from params, reset by with_params
        self.formula = formula
        self.derivative_formula = derivative_formula
        self.output_range = output_range
        self.pros = tuple(pros)
        self.cons = tuple(cons)
        self.reference = reference
        self.summary = summary
        for key, default in self.PROPERTIES.items():
            setattr(self, key, properties.get(key, default))
        if doc:
            self.__doc__ = doc

    # ------------------------------------------------------------------ configuration
    def _check_params(self, merged: dict) -> None:
        """Validate a merged configuration (hook: ``Loss`` also checks its reduction)."""
        if self._check is not None:
            self._check(**merged)

    def with_params(self, **params):
        """A copy with some parameters changed; aliases resolved, unknown names and bad values
        rejected with a message naming the parameter."""
        merged = check_params(self.name, params, self.params, self._param_aliases)
        self._check_params(merged)
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.params = merged
        new._cache = {}
        return new

    def configured(self, params: dict):
        """``self`` with per-call ``params`` applied (``self`` itself when there are none)."""
        return self.with_params(**params) if params else self

    @property
    def defaults(self) -> dict:
        """The parameters' default values (as registered)."""
        return dict(self._defaults)

    @property
    def param_aliases(self) -> dict:
        return dict(self._param_aliases)

    @property
    def formula_text(self) -> str:
        """:attr:`formula` as Unicode text, for a terminal or a page without a TeX renderer:
        ``'σ(x) = 1/(1 + e⁻ˣ)'`` for sigmoid's ``\\sigma(x) = \\frac{1}{1 + e^{-x}}``."""
        return latex_to_text(self.formula)

    @property
    def derivative_formula_text(self) -> str:
        """:attr:`derivative_formula` as Unicode text (see :attr:`formula_text`)."""
        return latex_to_text(self.derivative_formula)

    def metadata(self) -> dict:
        """The documentation fields and properties as a plain dict (for docs and the CLI)."""
        return {"name": self.name, "params": dict(self.params),
                **{key: getattr(self, key) for key in (*METADATA, *self.PROPERTIES)}}

    def get_config(self) -> dict:
        """JSON-ready description ``{"name": ..., **params}``; the registry's
        ``get(**config)`` rebuilds an equal object."""
        return {"name": self.name, **self.params}

    # ------------------------------------------------------------------ plumbing
    def __getstate__(self):
        return {**self.__dict__, "_cache": {}}  # derived callables are rebuilt, not pickled

    def __repr__(self):
        args = "".join(f", {k}={v!r}" for k, v in self.params.items()
                       if not _same(v, self._defaults.get(k, _MISSING)))
        return f"{type(self).__name__}({self.name!r}{args})"

    def __eq__(self, other):
        return (type(other) is type(self) and other.name == self.name
                and other.params == self.params)

    def __hash__(self):
        return hash((type(self).__name__, self.name,
                     tuple(sorted((k, _hashable(v)) for k, v in self.params.items()))))


_MISSING = object()


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def check_against_differences(owner: str, analytic, numeric, describe, *, tol: float = 1e-5,
                              hint: str = "") -> None:
    """Raise ``ValueError`` when an analytic derivative disagrees with central differences.

    ``analytic`` and ``numeric`` are arrays of one shape; the error measure is
    ``|analytic - numeric| / max(1, |numeric|)`` (a NaN counts as the worst); ``describe(index)``
    names the point in the message (``"x=0.5"``). Used by the ``register`` functions of the
    catalogs so that a user's gradient is checked before it is trusted.

    >>> import numpy as np
    >>> check_against_differences("register('sq')", np.array([2.0]), np.array([2.0]),
    ...                           lambda i: "x=1")
    >>> check_against_differences("register('sq')", np.array([3.0]), np.array([2.0]),
    ...                           lambda i: "x=1")
    Traceback (most recent call last):
    ...
    ValueError: register('sq'): the derivative disagrees with central finite differences at x=1: analytic 3, finite difference 2 (relative error 5.00e-01 > 1e-05).
    """
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        err = np.abs(analytic - numeric) / np.maximum(1.0, np.abs(numeric))
    flat = np.where(np.isnan(err), np.inf, err).ravel()
    worst = np.unravel_index(int(np.argmax(flat)), err.shape)
    if not err[worst] <= tol:
        raise ValueError(
            f"{owner}: the derivative disagrees with central finite differences at "
            f"{describe(worst)}: analytic {analytic[worst]:.8g}, finite difference "
            f"{numeric[worst]:.8g} (relative error {err[worst]:.2e} > {tol:g}).{hint}")
