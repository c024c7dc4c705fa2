"""One registry class for defenses and attacks: built-ins and entry points come in by one door."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from importlib.metadata import entry_points
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
    """Maps names to factories; loads ``builtins`` modules and the entry-point ``group`` once."""

    def __init__(self, kind: str, group: str, builtins: tuple[str, ...] = ()) -> None:
        self.kind, self.group, self._builtins = kind, group, builtins
        self._factories: dict[str, Callable[..., T]] = {}
        self._aliases: dict[str, str] = {}
        self._loaded = False

    def register(self, name: str, *, aliases: tuple[str, ...] = ()) -> Callable[[F], F]:
        """Decorator registering a factory (a class or function) under ``name``."""

        def add(factory: F) -> F:
            for key in (name, *aliases):
                if key in self._factories or key in self._aliases:
                    existing = self._factories.get(key) or self._factories[self._aliases[key]]
                    raise RegistryError(
                        f"{self.kind} {key!r} is already registered by {_origin(existing)}; "
                        "choose another name."
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

    def _load_plugins(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for module in self._builtins:
            importlib.import_module(module)
        for entry in entry_points(group=self.group):
            entry.load()

    def canonical(self, name: str) -> str:
        """The registered name behind ``name`` (resolving aliases); unknown names raise."""
        self._load_plugins()
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
        self._load_plugins()
        return next((n for n, f in self._factories.items() if type(obj) is f), None)

    def names(self) -> list[str]:
        """Registered names (without aliases), sorted."""
        self._load_plugins()
        return sorted(self._factories)

    def __contains__(self, name: object) -> bool:
        self._load_plugins()
        return name in self._factories or name in self._aliases


# The two registries. Built-ins are named by module so the core never imports them directly.
defenses: Registry[Any] = Registry(
    "defense",
    "privattack.defenses",
    builtins=(
        "privattack.defenses.split",
        "privattack.defenses.disco",
        "privattack.defenses.pruning",
        "privattack.defenses.noise",
        "privattack.defenses.adversarial",
        "privattack.defenses.maxentropy",
        "privattack.defenses.nopeek",
        "privattack.defenses.shredder",
    ),
)
attacks: Registry[Any] = Registry(
    "attack",
    "privattack.attacks",
    builtins=(
        "privattack.attacks.decoder",
        "privattack.attacks.attribute",
        "privattack.attacks.likelihood",
    ),
)
