"""The role matrix: which role may call which RPC method of every declared service, read
from the services' own tables (so docs/roles.md can be checked against the code)."""

from __future__ import annotations

import inspect
from typing import Any

from dutytrail_ops.registry import load_service_class, service_names
from shared.nameko_kit.entrypoints import allowed_roles
from shared.roles import ROLES, Role

OPEN = "open"


def entrypoint_roles(service_cls: type[Any]) -> dict[str, tuple[Role, ...] | str]:
    """Every RPC method of a service class and the roles it admits (``open`` for ping)."""
    found: dict[str, tuple[Role, ...] | str] = {}
    for name, member in inspect.getmembers(service_cls, inspect.isfunction):
        entrypoints: set[Any] = getattr(member, "nameko_entrypoints", set())
        if not any(type(e).__name__ == "Rpc" for e in entrypoints):
            continue
        found[name] = allowed_roles(member) or OPEN
    return dict(sorted(found.items()))


def matrix() -> dict[str, dict[str, tuple[Role, ...] | str]]:
    return {name: entrypoint_roles(load_service_class(name)) for name in service_names()}


def markdown() -> str:
    """docs/roles.md: the matrix as tables, one per service."""
    lines = [
        "# Roles: who may call what",
        "",
        "Generated from the services' tables by `dutytrail roles matrix`; a test keeps it",
        "current. Every call carries a token (docs/trust.md); ✓ marks the roles a method",
        "admits. A unit clerk acts for its own unit only and a cadre for themself: the",
        "application refuses acts on another unit's records even when the role is admitted.",
        "",
        "Roles: " + ", ".join(f"`{r}`" for r in ROLES) + ".",
    ]
    short = [r.replace("_", " ") for r in ROLES]
    for service, methods in matrix().items():
        lines += ["", f"## {service}", "", "| method | " + " | ".join(short) + " |",
                  "|---|" + "---|" * len(ROLES)]
        for method, roles in methods.items():
            cells = ["any caller" if roles == OPEN else ("✓" if r in roles else "")
                     for r in ROLES]
            lines.append(f"| `{method}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
