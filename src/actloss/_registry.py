"""One generic name registry, used by every catalog (activations, losses, optimizers, ...).

Objects are registered as they are, never parsed back from strings. Names are matched
case-insensitively with ``-`` and ``_`` equivalent; unknown names get close-match advice.
"""

from __future__ import annotations

import difflib
from typing import Callable, Generic, Iterator, TypeVar

T = TypeVar("T")


def normalize(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


class Registry(Generic[T]):
    """Names and aliases -> objects of one kind.

    ``kind`` names the catalog in messages ("activation", "loss", ...). ``configure(obj, **params)``
    returns a configured copy of ``obj`` (``obj.with_params`` by default). ``callable_advice`` is
    the message given when a plain callable is passed where a registered object is expected; when
    it is None, callables are accepted as they are.
    """

    def __init__(self, kind: str, base: type, *, callable_advice: str | None = None,
                 configure: Callable | None = None, plural: str | None = None):
        self.kind = kind
        self.plural = plural or (kind + "es" if kind.endswith("s") else kind + "s")
        self.base = base
        self.callable_advice = callable_advice
        self._configure = configure or (lambda obj, **params: obj.with_params(**params))
        self._objects: dict[str, T] = {}
        self._aliases: dict[str, str] = {}
        self._a = "an" if kind[0] in "aeiou" else "a"

    def add(self, obj: T, name: str | None = None, aliases: tuple[str, ...] = (),
            *, replace: bool = False) -> T:
        name = normalize(name or obj.name)
        for key in (name, *map(normalize, aliases)):
            if not replace and key in self:
                raise ValueError(f"{self.kind} name {key!r} is already registered; "
                                 f"pass replace=True to override it")
        self._objects[name] = obj
        for alias in aliases:
            self._aliases[normalize(alias)] = name
        return obj

    def canonical(self, name: str) -> str:
        """The registered name that ``name`` (or an alias of it) refers to."""
        key = normalize(name)
        key = self._aliases.get(key, key)
        if key not in self._objects:
            raise ValueError(self._unknown_message(name))
        return key

    def _unknown_message(self, name: str) -> str:
        close = difflib.get_close_matches(normalize(name), self.names(), n=3, cutoff=0.6)
        advice = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
        return (f"Unknown {self.kind} {name!r}.{advice} "
                f"Known {self.plural}: {', '.join(self.names())}.")

    def get(self, identifier, **params) -> T:
        """Resolve a name, an alias or an object of this kind, configured with ``params``."""
        if isinstance(identifier, self.base):
            obj = identifier
        elif isinstance(identifier, str):
            obj = self._objects[self.canonical(identifier)]
        elif callable(identifier) and self.callable_advice is None:
            return identifier
        elif callable(identifier):
            raise TypeError(f"Expected {self._a} {self.kind} name or {self.base.__name__} object; received "
                            f"the plain callable {identifier!r}. {self.callable_advice}")
        else:
            raise TypeError(f"Expected {self._a} {self.kind} name (str) or {self.base.__name__} object; "
                            f"received {type(identifier).__name__}: {identifier!r}")
        return self._configure(obj, **params) if params else obj

    def names(self) -> list[str]:
        """Sorted list of registered names and aliases."""
        return sorted({*self._objects, *self._aliases})

    def aliases_of(self, name: str) -> list[str]:
        key = self.canonical(name)
        return sorted(a for a, target in self._aliases.items() if target == key)

    def __contains__(self, name) -> bool:
        key = normalize(name)
        return key in self._objects or key in self._aliases

    def __iter__(self) -> Iterator[T]:
        return iter(self._objects.values())

    def __len__(self) -> int:
        return len(self._objects)

    def items(self):
        return self._objects.items()
