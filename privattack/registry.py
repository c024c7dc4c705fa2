"""One registry class for defenses and attacks: built-ins and entry points come in by one door.

Names are known before anything is imported: a built-in name maps to the module that defines
it, a third-party name to its entry point, and either is imported on first lookup (as
lm-evaluation-harness's lazy registry entries are), so ``privattack.defenses.get("disco")``
imports DISCO alone and an unknown name is reported without importing any of them.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Generic, TypeVar

from privattack.errors import PrivattackError, UnknownNameError

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class RegistryError(PrivattackError, ValueError):
    """A name was registered twice."""


def _origin(factory: Callable[..., Any]) -> str:
    module = getattr(factory, "__module__", "?")
    return f"{module}.{getattr(factory, '__qualname__', repr(factory))}"


class Registry(Generic[T]):
    """Maps names to factories. ``builtins`` maps each built-in name to the module that
    registers it (``aliases``: other names of built-ins); entry points of ``group`` name the
    modules of third-party entries."""

    def __init__(
        self,
        kind: str,
        group: str,
        builtins: Mapping[str, str] | None = None,
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        self.kind, self.group = kind, group
        self._builtins = dict(builtins or {})
        self._factories: dict[str, Callable[..., T]] = {}
        self._aliases: dict[str, str] = dict(aliases or {})
        self._entry_points: dict[str, EntryPoint] | None = None

    def register(self, name: str, *, aliases: tuple[str, ...] = ()) -> Callable[[F], F]:
        """Decorator registering a factory (a class or function) under ``name``."""

        def add(factory: F) -> F:
            for key in (name, *aliases):
                taken = key in self._factories or self._aliases.get(key, name) != name
                if taken:
                    existing = self._factories.get(key) or self._factories.get(self._aliases[key])
                    by = _origin(existing) if existing else f"privattack ({self._aliases[key]!r})"
                    raise RegistryError(
                        f"{self.kind} {key!r} is already registered by {by}; choose another name."
                    )
            self._factories[name] = factory
            self._aliases.update({alias: name for alias in aliases})
            return factory

        return add

    def unregister(self, name: str) -> None:
        """Remove ``name`` and its aliases (tests, and notebooks that re-run a cell)."""
        name = self.canonical(name)
        del self._factories[name]
        self._aliases = {a: n for a, n in self._aliases.items() if n != name}

    def _plugins(self) -> dict[str, EntryPoint]:
        if self._entry_points is None:
            self._entry_points = {e.name: e for e in entry_points(group=self.group)}
        return self._entry_points

    def _import(self, name: str) -> None:
        """Import what registers ``name``, when it is not registered yet."""
        name = self._aliases.get(name, name)
        if name in self._factories:
            return
        if name in self._builtins:
            importlib.import_module(self._builtins[name])
        elif name in self._plugins():
            self._plugins()[name].load()

    def canonical(self, name: str) -> str:
        """The registered name behind ``name`` (resolving aliases); unknown names raise."""
        self._import(name)
        name = self._aliases.get(name, name)
        if name not in self._factories:
            raise UnknownNameError(
                self.kind,
                name,
                known=self.names(),
                hint=f"Third-party {self.kind}s register under the entry-point group "
                f"{self.group!r}.",
            )
        return name

    def factory(self, name: str) -> Callable[..., T]:
        """The factory registered under ``name``."""
        return self._factories[self.canonical(name)]

    def get(self, name: str, **params: Any) -> T:
        """Build the ``name``d object with ``params``; unknown parameters are a clear error."""
        factory = self.factory(name)
        accepted = inspect.signature(factory).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())
        unknown = sorted(set(params) - set(accepted))
        if unknown and not takes_any:
            raise UnknownNameError(
                f"parameter of {self.kind} {name!r}",
                unknown[0],
                known=[p for p in accepted if p != "self"],
            )
        return factory(**params)

    def name_of(self, obj: object) -> str | None:
        """The name whose factory is the class of ``obj``, or None (not a registered class)."""
        return next((n for n, f in self._factories.items() if type(obj) is f), None)

    def names(self) -> list[str]:
        """Every name that can be looked up (aliases left out), sorted; nothing is imported."""
        return sorted({*self._builtins, *self._plugins(), *self._factories})

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        known = (self._factories, self._aliases, self._builtins, self._plugins())
        return any(name in names for names in known)


_DEFENSES = "privattack.defenses"
_ATTACKS = "privattack.attacks"

# The two registries. Built-ins are named by module so the core never imports them directly.
defenses: Registry[Any] = Registry(
    "defense",
    "privattack.defenses",
    builtins={
        "split": f"{_DEFENSES}.split",
        "disco": f"{_DEFENSES}.disco",
        "pruning": f"{_DEFENSES}.pruning",
        "noise": f"{_DEFENSES}.noise",
        "adversarial": f"{_DEFENSES}.adversarial",
        "maxentropy": f"{_DEFENSES}.maxentropy",
        "nopeek": f"{_DEFENSES}.nopeek",
        "shredder": f"{_DEFENSES}.shredder",
    },
    aliases={"traditional": "split"},
)
attacks: Registry[Any] = Registry(
    "attack",
    "privattack.attacks",
    builtins={
        "decoder": f"{_ATTACKS}.decoder",
        "attribute": f"{_ATTACKS}.attribute",
        "likelihood": f"{_ATTACKS}.likelihood",
        "inversion": f"{_ATTACKS}.likelihood",
        "hybrid": f"{_ATTACKS}.hybrid",
        "prior": f"{_ATTACKS}.prior",
    },
)
