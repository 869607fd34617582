"""Callers' tokens: who acts, for which unit, in which roles (docs/roles.md).

A token is a JWT signed with EdDSA (Ed25519). Operators' and clerks' tokens are issued by the
token authority (``dutytrail token issue``, key ``tokens`` in ``shared.keys``); a service
calling another service signs its own short-lived token with its event-signing key, and such
a token carries the role ``service`` only. The actor of every command comes from a verified
token, never from what the caller writes.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import jwt

from shared.actors import SYSTEM_ACTOR, Actor
from shared.clock import utcnow
from shared.errors import NotAuthenticatedError
from shared.keys import TOKEN_AUTHORITY, private_key, public_key
from shared.roles import ROLES, SERVICE, Role

ISSUER = "dutytrail"
AUDIENCE = "dutytrail"
ALGORITHM = "EdDSA"
SERVICE_TOKEN_SECONDS = 300
LEEWAY_SECONDS = 30


@dataclass(frozen=True)
class Caller:
    """A verified caller: the actor its commands are recorded under, and its roles."""

    actor: Actor
    roles: frozenset[Role]
    token_id: str = ""

    def has_any(self, roles: Iterable[Role]) -> bool:
        return not self.roles.isdisjoint(roles)


def service_actor(service: str) -> Actor:
    """The identity a service acts under when it calls another service."""
    return Actor(
        person_id=uuid5(NAMESPACE_URL, f"urn:dutytrail:service:{service}"),
        unit_id=SYSTEM_ACTOR.unit_id,
    )


def issue_token(
    person_id: UUID, unit_id: UUID, roles: Iterable[Role], ttl: timedelta = timedelta(hours=8)
) -> str:
    """A token from the token authority (operators, clerks, cadres, auditors, the clock)."""
    roles = sorted(set(roles))
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ValueError(f"roles must be some of {', '.join(ROLES)}; got {roles}")
    now = utcnow()
    claims = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": str(person_id), "unit": str(unit_id),
        "roles": roles, "iat": now, "nbf": now, "exp": now + ttl,
        "jti": str(uuid5(NAMESPACE_URL, f"{person_id}:{now.isoformat()}")),
    }
    return jwt.encode(
        claims, private_key(TOKEN_AUTHORITY), algorithm=ALGORITHM,
        headers={"kid": TOKEN_AUTHORITY},
    )


def issue_service_token(service: str) -> str:
    """A short-lived token a service signs for its own calls to other services."""
    actor = service_actor(service)
    now = utcnow()
    claims = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": str(actor.person_id),
        "unit": str(actor.unit_id), "roles": [SERVICE], "iat": now, "nbf": now,
        "exp": now + timedelta(seconds=SERVICE_TOKEN_SECONDS),
    }
    return jwt.encode(
        claims, private_key(service), algorithm=ALGORITHM, headers={"kid": f"service:{service}"}
    )


# Tokens already verified, until they expire: a clerk's session sends the same token with
# every call, and checking its signature once is enough (the bytes cannot change).
_verified: dict[str, tuple[Caller, float]] = {}
_VERIFIED_MAX = 10_000


def verify_token(token: Any) -> Caller:
    """The caller a token names, once its signature, issuer, audience and lifetime hold;
    otherwise :class:`NotAuthenticatedError` naming what is wrong."""
    if not isinstance(token, str) or not token:
        raise NotAuthenticatedError(
            "This call carries no token; sign in and send it as 'authorization: Bearer <token>'."
        )
    token = token.removeprefix("Bearer ").strip()
    known = _verified.get(token)
    if known is not None and time.time() < known[1]:
        return known[0]
    caller, expires = _verify(token)
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified[token] = (caller, expires)
    return caller


def _verify(token: str) -> tuple[Caller, float]:
    try:
        kid = jwt.get_unverified_header(token).get("kid", "")
    except jwt.PyJWTError:
        raise NotAuthenticatedError("The token is not a signed token.") from None
    service = kid.removeprefix("service:") if kid.startswith("service:") else None
    try:
        key = public_key(service or TOKEN_AUTHORITY)
    except Exception:  # noqa: BLE001 - an unknown key id is an invalid token, nothing more
        raise NotAuthenticatedError("The token names a key this service does not know.") from None
    try:
        claims = jwt.decode(
            token, key, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "sub", "unit", "roles", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise NotAuthenticatedError("The token has expired; sign in again.") from None
    except jwt.PyJWTError as error:
        raise NotAuthenticatedError(f"The token was refused: {error}.") from None
    roles = claims["roles"]
    if not isinstance(roles, list) or any(r not in ROLES for r in roles):
        raise NotAuthenticatedError("The token names roles this system does not have.")
    if service is not None and (
        roles != [SERVICE] or claims["sub"] != str(service_actor(service).person_id)
    ):
        raise NotAuthenticatedError("A service's token may only name that service.")
    try:
        actor = Actor(person_id=UUID(claims["sub"]), unit_id=UUID(claims["unit"]))
    except ValueError:
        raise NotAuthenticatedError("The token's person or unit is not an id.") from None
    caller = Caller(actor=actor, roles=frozenset(roles), token_id=str(claims.get("jti", "")))
    return caller, float(claims["exp"])
