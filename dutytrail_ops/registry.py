"""The services, discovered from their declarations.

A service is a package under ``services/`` whose ``__init__.py`` defines ``DECLARATION``, a
:class:`shared.declaration.ServiceDeclaration`; a package without one (a service still to come)
is not offered anywhere. The command line, the supervisor, the runner, the schema export and
the demo all ask this module, so adding a service means declaring it and nothing else
(docs/architecture.md, docs/operations.md).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from typing import Any

import services
from shared.declaration import ServiceDeclaration


class UnknownServiceError(LookupError):
    """A name that is not a declared service."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        listed = ", ".join(known) or "none"
        super().__init__(
            f"no service named {name!r}: the declared services are {listed} "
            "(a service is a package under services/ whose __init__.py defines DECLARATION)"
        )


class DeclarationError(RuntimeError):
    """A package's DECLARATION that cannot be right."""


@functools.cache
def declarations() -> dict[str, ServiceDeclaration]:
    """Every declared service by name, sorted by name (imported once per process)."""
    found: dict[str, ServiceDeclaration] = {}
    for module in pkgutil.iter_modules(services.__path__):
        package = importlib.import_module(f"{services.__name__}.{module.name}")
        declared = getattr(package, "DECLARATION", None)
        if declared is None:
            continue  # a package still to come: not a service yet
        if not isinstance(declared, ServiceDeclaration):
            msg = (
                f"{package.__name__}.DECLARATION is a {type(declared).__name__}, "
                "not a shared.declaration.ServiceDeclaration"
            )
            raise DeclarationError(msg)
        if declared.name != module.name:
            msg = (
                f"{package.__name__}.DECLARATION names the service {declared.name!r}; "
                f"it must be named after its package, {module.name!r}"
            )
            raise DeclarationError(msg)
        found[declared.name] = declared
    return dict(sorted(found.items()))


def service_names() -> list[str]:
    """The declared services' names, sorted."""
    return list(declarations())


def declaration(name: str) -> ServiceDeclaration:
    """The declaration of the service ``name``; :class:`UnknownServiceError` if none."""
    try:
        return declarations()[name]
    except KeyError:
        raise UnknownServiceError(name, service_names()) from None


def in_dependency_order(names: list[str] | None = None) -> list[str]:
    """``names`` (default: every declared service) with each service after the services whose
    events it follows, otherwise by name."""
    chosen = service_names() if names is None else sorted(names)
    for name in chosen:
        declaration(name)
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            msg = f"the services' upstreams form a cycle through {name!r}"
            raise DeclarationError(msg)
        visiting.add(name)
        for upstream in sorted(declaration(name).upstreams):
            if upstream in chosen:
                visit(upstream)
        visiting.discard(name)
        ordered.append(name)

    for name in chosen:
        visit(name)
    return ordered


def load_service_class(name: str) -> type[Any]:
    """The nameko service class the declaration names (``module:Class``), imported."""
    target = declaration(name).service_class
    module_name, sep, class_name = target.partition(":")
    if not sep or not module_name or not class_name:
        msg = f"service {name!r}: service_class {target!r} is not of the form 'module:Class'"
        raise DeclarationError(msg)
    module = importlib.import_module(module_name)
    try:
        cls: type[Any] = getattr(module, class_name)
    except AttributeError:
        msg = f"service {name!r}: {module_name} has no class {class_name!r}"
        raise DeclarationError(msg) from None
    return cls
