"""Capabilities and argument constraints, as plain immutable values.

These classes only hold what the caller wrote; every rule (pattern syntax,
limits, canonical ordering, containment) is checked by the native engine
when a token is issued or delegated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

from .errors import ArgumentTypeError

__all__ = ["Capability", "Constraint", "Eq", "Max", "Min", "Number", "OneOf", "Prefix", "Value"]

Number = int | Decimal
"""A constraint bound: an integer or an exact decimal (never a float)."""
Value = int | Decimal | str
"""An argument value: an integer, an exact decimal or a text."""


def _check_number(value: object, kind: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ArgumentTypeError(f"{kind} takes an int or a decimal.Decimal, not {type(value).__name__}")


def _check_value(value: object, kind: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise ArgumentTypeError(
            f"{kind} takes an int, a decimal.Decimal or a str, not {type(value).__name__}"
        )


@dataclass(frozen=True)
class Constraint:
    """Base of the constraint constructors; ``kind`` names the rule."""

    kind: ClassVar[str] = ""


@dataclass(frozen=True)
class Max(Constraint):
    """The argument is a number at most ``value``."""

    value: Number
    kind: ClassVar[str] = "max"

    def __post_init__(self) -> None:
        _check_number(self.value, "Max")


@dataclass(frozen=True)
class Min(Constraint):
    """The argument is a number at least ``value``."""

    value: Number
    kind: ClassVar[str] = "min"

    def __post_init__(self) -> None:
        _check_number(self.value, "Min")


@dataclass(frozen=True)
class Eq(Constraint):
    """The argument equals ``value`` (same type)."""

    value: Value
    kind: ClassVar[str] = "eq"

    def __post_init__(self) -> None:
        _check_value(self.value, "Eq")


@dataclass(frozen=True)
class OneOf(Constraint):
    """The argument equals one of ``values`` (same type)."""

    values: tuple[Value, ...]
    kind: ClassVar[str] = "one_of"

    def __init__(self, values: Iterable[Value]) -> None:
        if isinstance(values, (str, bytes)):
            raise ArgumentTypeError("OneOf takes an iterable of values, not a single string")
        items = tuple(values)
        for v in items:
            _check_value(v, "OneOf")
        object.__setattr__(self, "values", items)

    @property
    def value(self) -> tuple[Value, ...]:
        """The allowed values."""
        return self.values


@dataclass(frozen=True)
class Prefix(Constraint):
    """The argument is a text starting with ``value``."""

    value: str
    kind: ClassVar[str] = "prefix"

    def __post_init__(self) -> None:
        if not isinstance(self.value, str):
            raise ArgumentTypeError(f"Prefix takes a str, not {type(self.value).__name__}")


@dataclass(frozen=True)
class Capability:
    """May perform ``actions`` on resources matching ``resource``, within
    ``constraints`` on named arguments.

    ``resource`` is a ``/``-separated pattern where ``*`` matches one segment
    and a trailing ``**`` one or more. ``actions`` is a list of names, or
    ``"*"`` for every action. ``constraints`` maps an argument name to one
    constraint or a sequence of constraints (of different kinds).
    """

    resource: str
    actions: tuple[str, ...] = ("*",)
    constraints: Mapping[str, tuple[Constraint, ...]] = field(default_factory=dict)

    def __init__(
        self,
        resource: str,
        actions: Iterable[str] | str = ("*",),
        constraints: Mapping[str, Constraint | Iterable[Constraint]] | None = None,
    ) -> None:
        if not isinstance(resource, str):
            raise ArgumentTypeError("resource must be a str")
        action_list = (actions,) if isinstance(actions, str) else tuple(actions)
        for a in action_list:
            if not isinstance(a, str):
                raise ArgumentTypeError("actions must be strings")
        normalized: dict[str, tuple[Constraint, ...]] = {}
        for name, spec in (constraints or {}).items():
            if not isinstance(name, str):
                raise ArgumentTypeError("constraint argument names must be strings")
            group = (spec,) if isinstance(spec, Constraint) else tuple(spec)
            for c in group:
                if not isinstance(c, Constraint) or not c.kind:
                    raise ArgumentTypeError("constraints must be Max, Min, Eq, OneOf or Prefix")
            normalized[name] = group
        object.__setattr__(self, "resource", resource)
        object.__setattr__(self, "actions", action_list)
        object.__setattr__(self, "constraints", normalized)

    def __hash__(self) -> int:
        return hash((self.resource, self.actions, tuple(sorted(self.constraints.items()))))
