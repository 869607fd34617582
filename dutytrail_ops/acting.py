"""Calling the services as someone: a standalone nameko proxy that sends, with each call, the
token of whoever acts (docs/roles.md). Used by the demo, the tests and the benchmarks.

    with ClusterRpcProxy(config) as rpc:
        acting = Acting(rpc)
        committee = acting.as_(clerk, party_committee_unit, PARTY_COMMITTEE)
        unit = committee.responsibility.register_unit({"code": "D01", ...})
        acting.as_(auditor, audit_office, AUDITOR).responsibility.events_after({"after": 0})

Every identity shares the one proxy (one connection, one reply queue): the token travels in
nameko's call context, which the proxy reads at each call, so each call sets it first. Tokens
come from ``shared.tokens.issue_token`` (the token authority's key: development keys need
``DUTYTRAIL_DEV_KEYS=1``), one per identity, reissued before they expire. Like the proxy it
wraps, an ``Acting`` is for one thread (or green thread) at a time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

from shared.nameko_kit.providers import AUTHORIZATION
from shared.roles import Role
from shared.tokens import issue_token

Identity = tuple[UUID, UUID, tuple[Role, ...]]  # person, unit, roles
TOKEN_TTL = timedelta(hours=1)


class Acting:
    """Identities over one started ``ClusterRpcProxy`` (what ``with ClusterRpcProxy(...)``
    gives): ``as_(...)``, ``with_token(...)`` and ``anonymous`` return proxy-like objects
    whose ``service.method(payload)`` and ``service.method.call_async(payload)`` send that
    caller's token."""

    def __init__(self, proxy: Any, ttl: timedelta = TOKEN_TTL) -> None:
        self.proxy = proxy
        self.ttl = ttl
        self._tokens: dict[Identity, tuple[str, float]] = {}

    def token(self, person_id: UUID | str, unit_id: UUID | str, role: Role, *more: Role) -> str:
        """The token of ``person_id`` acting for ``unit_id`` in these roles (cached)."""
        identity = (UUID(str(person_id)), UUID(str(unit_id)), (role, *more))
        cached = self._tokens.get(identity)
        if cached is not None and time.monotonic() < cached[1]:
            return cached[0]
        token = issue_token(identity[0], identity[1], identity[2], self.ttl)
        # Reissued at three quarters of its life, so no call ever carries an expired one.
        self._tokens[identity] = (token, time.monotonic() + 0.75 * self.ttl.total_seconds())
        return token

    def as_(
        self, person_id: UUID | str, unit_id: UUID | str, role: Role, *more: Role
    ) -> CallerProxy:
        """The services as ``person_id`` acting for ``unit_id`` in ``role`` (and ``more``)."""
        return CallerProxy(self, lambda: f"Bearer {self.token(person_id, unit_id, role, *more)}")

    def with_token(self, token: str) -> CallerProxy:
        """The services with exactly this token (one signed elsewhere, expired, forged...)."""
        header = token if token.startswith("Bearer ") else f"Bearer {token}"
        return CallerProxy(self, lambda: header)

    @property
    def anonymous(self) -> CallerProxy:
        """The services with no token at all."""
        return CallerProxy(self, lambda: None)

    def _authorize(self, header: str | None) -> None:
        data: dict[str, Any] = self.proxy._worker_ctx.data
        if header is None:
            data.pop(AUTHORIZATION, None)
        else:
            data[AUTHORIZATION] = header


class CallerProxy:
    """The cluster as one caller: ``caller.<service>.<method>(...)``, or ``caller[service]``."""

    def __init__(self, acting: Acting, header: Callable[[], str | None]) -> None:
        self._acting = acting
        self._header = header

    def __getattr__(self, service: str) -> _Service:
        if service.startswith("__"):
            raise AttributeError(service)
        return _Service(self, service)

    def __getitem__(self, service: str) -> _Service:
        return _Service(self, service)

    def _before_call(self) -> None:
        self._acting._authorize(self._header())


class _Service:
    def __init__(self, caller: CallerProxy, name: str) -> None:
        self._caller = caller
        self._name = name

    def __getattr__(self, method: str) -> _Method:
        if method.startswith("__"):
            raise AttributeError(method)
        return _Method(self._caller, self._name, method)


class _Method:
    def __init__(self, caller: CallerProxy, service: str, name: str) -> None:
        self._caller = caller
        self._service = service
        self._name = name

    def _remote(self) -> Any:
        self._caller._before_call()  # the proxy reads the header when it publishes the call
        return getattr(self._caller._acting.proxy[self._service], self._name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._remote()(*args, **kwargs)

    def call_async(self, *args: Any, **kwargs: Any) -> Any:
        """Send now, answer later: ``.call_async(payload).result()``."""
        return self._remote().call_async(*args, **kwargs)
