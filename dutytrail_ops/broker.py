"""Broker users and permissions: RabbitMQ itself decides who may publish and consume what.

``dutytrail broker setup`` gives every declared service a user of its own,
``dutytrail-<service>`` (shared by the service process and its relay), whose permissions in the
virtual host let it publish only its own events and answer only its own RPC queue;
``dutytrail broker add-subscriber`` adds a read-only user for an outside system and
``dutytrail broker add-client`` a user that may only call RPC. docs/operations.md ("Broker
users and permissions") has the matrix and the reasoning; in short, RabbitMQ checks

- ``exchange.declare`` / ``queue.declare``: configure on the exchange / queue (not when
  passive);
- ``queue.bind``: write on the queue, read on the exchange, and on a topic exchange the
  binding key against the user's topic *read* pattern for that exchange;
- ``basic.publish``: write on the exchange, and on a topic exchange the routing key against
  the topic *write* pattern;
- ``basic.consume`` / ``basic.get``: read on the queue;
- a queue declared with ``x-dead-letter-exchange``: read on the queue, write on that exchange.

Patterns are regular expressions matched anywhere in a name, so every one here is anchored.
They are type-blind: one pattern covers exchanges and queues of the same name.

The broker is set up with ``rabbitmqctl`` (no plugin needed; the management plugin is not
required). ``DUTYTRAIL_RABBITMQCTL`` replaces the command (``"sudo rabbitmqctl"``,
``"docker exec rabbit rabbitmqctl"``). Users, passwords (hashed, as RabbitMQ
stores them) and permissions go to ``rabbitmqctl import_definitions`` on its standard input,
never on its command line.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import shlex
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit

import click

from dutytrail_ops.registry import declaration, service_names

DEFAULT_USER_PREFIX = "dutytrail"
RPC_EXCHANGE = "nameko-rpc"
DEAD_LETTER_EXCHANGE = "dutytrail.dead-letter"  # shared.nameko_kit.consumer
DEAD_LETTER_QUEUE = "dutytrail.dead-letters"
# nameko's standalone ClusterRpcProxy names its reply queue after this pseudo-service.
STANDALONE_PROXY = "standalone_rpc_proxy"
# nameko's reply routing keys are UUIDs (a reply queue is bound with exactly its own).
REPLY_KEY = "[0-9a-f-]+"
# Matches no routing key but the empty one (which the vhost permissions refuse anyway).
NOTHING = "^$"
EVERYTHING = ".*"
# Subscriber and client names: a plain word that cannot reach a dutytrail resource when
# followed by "." (see _check_name).
NAME = re.compile(r"[a-z][a-z0-9_-]{0,62}")
RESERVED_NAMES = frozenset({"dutytrail", "rpc", "amq", "nameko-rpc", "evt"})


class BrokerSetupError(RuntimeError):
    """rabbitmqctl failed, or the request cannot be right."""


@dataclass(frozen=True)
class Permissions:
    """A user's ``set_permissions`` in one virtual host."""

    configure: str
    write: str
    read: str


@dataclass(frozen=True)
class TopicPermissions:
    """A user's ``set_topic_permissions`` on one topic exchange (routing / binding keys)."""

    exchange: str
    write: str
    read: str


@dataclass(frozen=True)
class BrokerUser:
    name: str
    permissions: Permissions
    topics: tuple[TopicPermissions, ...]


def events_exchange(service: str) -> str:
    return f"{service}.events"


def confidential_exchange(service: str) -> str:
    """A service's confidential events (docs/trust.md, "Confidential events")."""
    return f"{service}.confidential"


def service_user_name(service: str, prefix: str = DEFAULT_USER_PREFIX) -> str:
    return f"{prefix}-{service}"


def subscriber_user_name(name: str, prefix: str = DEFAULT_USER_PREFIX) -> str:
    return f"{prefix}-subscriber-{name}"


def client_user_name(name: str, prefix: str = DEFAULT_USER_PREFIX) -> str:
    return f"{prefix}-client-{name}"


def _any_of(*patterns: str) -> str:
    """One anchored pattern matching exactly the names the (unanchored) parts match."""
    return f"^({'|'.join(patterns)})$" if patterns else NOTHING


def _lit(name: str) -> str:
    """``name`` as a pattern matching only itself (names here are ``[a-z0-9_.*-]``)."""
    return re.sub(r"([.^$*+?{}\[\]\\|()])", r"\\\1", name)


def _alternatives(names: Iterable[str]) -> str:
    return "|".join(_lit(n) for n in sorted(names))


def _foreign_exchanges(own: str | None, services: Iterable[str]) -> list[TopicPermissions]:
    """Every other service's events exchange: no routing key may be published there (the
    vhost write pattern already refuses it; this holds even if that pattern is widened)."""
    return [
        TopicPermissions(exchange(s), write=NOTHING, read=EVERYTHING)
        for s in sorted(services)
        if s != own
        for exchange in (events_exchange, confidential_exchange)
    ]


def service_user(
    service: str,
    upstreams: Sequence[str],
    services: Iterable[str],
    prefix: str = DEFAULT_USER_PREFIX,
) -> BrokerUser:
    """The user of ``service``'s nameko container and of its relay.

    - its relay declares and publishes to ``<service>.events`` (configure, write);
    - nameko declares ``nameko-rpc`` and binds ``rpc-<service>`` (key ``<service>.*``) and its
      reply queues ``rpc.reply-<service>-<uuid>`` (key ``<uuid>``) to it, consumes them, and
      publishes requests and replies there;
    - per upstream, nameko declares ``<upstream>.events`` (configure: declare is not
      passive), declares ``evt-<upstream>-<type>--<service>.<method>`` with
      ``x-dead-letter-exchange`` (write on ``dutytrail.dead-letter``), binds and consumes it;
      the consumer declares ``dutytrail.dead-letter`` and binds ``dutytrail.dead-letters``.

    Not granted: reading ``<service>.events`` or ``dutytrail.dead-letters`` (operators read
    dead letters), writing to any other service's exchange, any other service's queues.
    """
    own_exchange = (
        f"({_lit(events_exchange(service))}|{_lit(confidential_exchange(service))})"
    )
    rpc_queue = _lit(f"rpc-{service}")
    reply_queues = _lit(f"rpc.reply-{service}-") + REPLY_KEY
    rpc = _lit(RPC_EXCHANGE)
    consumer_queues: list[str] = []
    upstream_exchanges: list[str] = []
    dead_letters: list[str] = []
    if upstreams:
        consumer_queues = [
            f"evt-({_alternatives(upstreams)})-[^-]*--{_lit(service)}\\.[^-]*"
        ]
        upstream_exchanges = [f"({_alternatives(upstreams)})\\.events"]
        dead_letters = [_lit(DEAD_LETTER_EXCHANGE), _lit(DEAD_LETTER_QUEUE)]
    permissions = Permissions(
        configure=_any_of(
            own_exchange, rpc, rpc_queue, reply_queues, *consumer_queues, *upstream_exchanges,
            *dead_letters,
        ),
        write=_any_of(own_exchange, rpc, rpc_queue, reply_queues, *consumer_queues, *dead_letters),
        read=_any_of(
            rpc, rpc_queue, reply_queues, *consumer_queues, *upstream_exchanges,
            *dead_letters[:1],
        ),
    )
    topics = (
        TopicPermissions(events_exchange(service), write=EVERYTHING, read=EVERYTHING),
        TopicPermissions(confidential_exchange(service), write=EVERYTHING, read=EVERYTHING),
        # Requests and replies may be published with any key; a queue may be bound only with
        # its own RPC key or a reply UUID, so no service can bind a queue of its own to
        # another service's requests (``responsibility.*``) or to everything (``#``).
        TopicPermissions(
            RPC_EXCHANGE, write=EVERYTHING, read=_any_of(_lit(f"{service}.*"), REPLY_KEY)
        ),
        *_foreign_exchanges(service, services),
    )
    return BrokerUser(service_user_name(service, prefix), permissions, topics)


def subscriber_user(
    name: str,
    services: Sequence[str],
    all_services: Iterable[str],
    prefix: str = DEFAULT_USER_PREFIX,
    cleared: bool = False,
) -> BrokerUser:
    """An outside system that reads the events of ``services``: it declares, binds and
    consumes queues named ``<name>.<anything>`` and binds them to those services' exchanges
    (declared passively: it may not declare them). It publishes nowhere: its only write is on
    its own queues, which ``queue.bind`` requires. Only a ``cleared`` subscriber may bind to
    the services' confidential exchanges."""
    _check_name(name, all_services)
    own = _lit(name) + "\\..*"
    exchanges = [_lit(events_exchange(s)) for s in sorted(services)]
    if cleared:
        exchanges += [_lit(confidential_exchange(s)) for s in sorted(services)]
    permissions = Permissions(
        configure=_any_of(own),
        write=_any_of(own),
        read=_any_of(own, *exchanges),
    )
    topics = tuple(_foreign_exchanges(None, all_services))
    return BrokerUser(subscriber_user_name(name, prefix), permissions, topics)


def client_user(
    name: str, all_services: Iterable[str], prefix: str = DEFAULT_USER_PREFIX
) -> BrokerUser:
    """A caller of the services' RPC (a clerks' front end, ``dutytrail demo``,
    ``dutytrail events --rpc``) through nameko's ``ClusterRpcProxy``: it publishes requests to
    ``nameko-rpc`` and declares, binds (with its reply UUID only) and consumes
    ``rpc.reply-standalone_rpc_proxy-<uuid>``. It reads no events and no service's queue."""
    _check_name(name, all_services)
    reply_queues = _lit(f"rpc.reply-{STANDALONE_PROXY}-") + REPLY_KEY
    rpc = _lit(RPC_EXCHANGE)
    allowed = _any_of(rpc, reply_queues)
    permissions = Permissions(configure=allowed, write=allowed, read=allowed)
    topics = (
        TopicPermissions(RPC_EXCHANGE, write=EVERYTHING, read=_any_of(REPLY_KEY)),
        *_foreign_exchanges(None, all_services),
    )
    return BrokerUser(client_user_name(name, prefix), permissions, topics)


def _check_name(name: str, services: Iterable[str]) -> None:
    # "<name>." must not begin any dutytrail name: "responsibility." would reach
    # responsibility.events, "rpc." the reply queues, "dutytrail." the dead letters.
    if not NAME.fullmatch(name):
        msg = f"{name!r}: a name is a lower-case word of letters, digits, '_' and '-'"
        raise BrokerSetupError(msg)
    if name in RESERVED_NAMES or name in set(services):
        msg = f"{name!r} is reserved (a service's or dutytrail's own name)"
        raise BrokerSetupError(msg)


def service_users(
    services: Sequence[str] | None = None, prefix: str = DEFAULT_USER_PREFIX
) -> list[BrokerUser]:
    """The users of ``services`` (default: every declared service)."""
    declared = service_names()
    chosen = declared if services is None else sorted(services)
    return [
        service_user(s, declaration(s).upstreams, declared, prefix) for s in chosen
    ]


# --- rabbitmqctl ------------------------------------------------------------------------------


def rabbitmqctl(*args: str, stdin: str | None = None) -> str:
    """Run one ``rabbitmqctl`` command quietly; its output, or :class:`BrokerSetupError`."""
    command = [*shlex.split(os.environ.get("DUTYTRAIL_RABBITMQCTL", "") or "rabbitmqctl"), "-q"]
    try:
        done = subprocess.run(
            [*command, *args], input=stdin, capture_output=True, text=True, timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        msg = f"cannot run {shlex.join(command)}: {error}"
        raise BrokerSetupError(msg) from error
    if done.returncode != 0:
        # args[0] is the subcommand; passwords never appear in args.
        reason = (done.stderr or done.stdout).strip()
        msg = f"rabbitmqctl {args[0]} failed (status {done.returncode}): {reason}"
        raise BrokerSetupError(msg)
    return done.stdout


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's ``rabbit_password_hashing_sha256`` form: base64(salt || SHA-256(salt ||
    password)) with a 4-byte salt, so a definitions file carries no password in clear."""
    salt = secrets.token_bytes(4) if salt is None else salt
    digest = hashlib.sha256(salt + password.encode()).digest()
    return base64.b64encode(salt + digest).decode()


def definitions(users: Sequence[tuple[BrokerUser, str]], vhost: str) -> dict[str, Any]:
    """The broker definitions that create ``vhost`` and each user with its password and its
    permissions there (what ``rabbitmqctl import_definitions`` reads)."""
    return {
        "vhosts": [{"name": vhost}],
        "users": [
            {"name": user.name, "password_hash": password_hash(password),
             "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": []}
            for user, password in users
        ],
        "permissions": [
            {"user": user.name, "vhost": vhost, "configure": user.permissions.configure,
             "write": user.permissions.write, "read": user.permissions.read}
            for user, _ in users
        ],
        "topic_permissions": [
            {"user": user.name, "vhost": vhost, "exchange": topic.exchange,
             "write": topic.write, "read": topic.read}
            for user, _ in users for topic in user.topics
        ],
    }


def apply_users(users: Sequence[tuple[BrokerUser, str]], vhost: str) -> None:
    """Create ``vhost`` if missing and create each user (or change its password) with its
    permissions there: one ``import_definitions`` through standard input, which merges into
    what the broker has. One call, because each ``rabbitmqctl`` starts an Erlang VM (1–3 s);
    user by user, a district's users took a minute and a half on a busy machine."""
    rabbitmqctl("import_definitions", "--format", "json",
                stdin=json.dumps(definitions(users, vhost)))


def delete_user(name: str) -> None:
    rabbitmqctl("delete_user", name)


# --- passwords --------------------------------------------------------------------------------


def dev_password(user: str) -> str:
    """A development password anyone can derive from the user name: never for production."""
    return f"{user}-dev-password"


def read_password_file(path: Path) -> dict[str, str]:
    """``user password`` per line; blank lines and lines starting with ``#`` are skipped."""
    passwords: dict[str, str] = {}
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2:
            msg = f"{path}:{number}: expected 'user password'"
            raise BrokerSetupError(msg)
        passwords[parts[0]] = parts[1]
    return passwords


def choose_passwords(
    users: Sequence[str], dev: bool = False, password_file: Path | None = None
) -> tuple[dict[str, str], list[str]]:
    """Each user's password, and which of them were generated now (to be printed once)."""
    if dev:
        return {u: dev_password(u) for u in users}, []
    given = read_password_file(password_file) if password_file is not None else {}
    passwords: dict[str, str] = {}
    generated: list[str] = []
    for user in users:
        if user in given:
            passwords[user] = given[user]
        else:
            passwords[user] = secrets.token_urlsafe(24)
            generated.append(user)
    return passwords, generated


def uri_as(user: str, password: str, vhost: str, base: str | None = None) -> str:
    """``base`` (default ``AMQP_URI``) with ``user``'s login and ``vhost``."""
    from shared.settings import amqp_uri

    parts = urlsplit(base or amqp_uri())
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 5672
    login = f"{quote(user, safe='')}:{quote(password, safe='')}"
    return f"{parts.scheme or 'amqp'}://{login}@{host}:{port}/{quote(vhost, safe='')}"


def default_vhost() -> str:
    from shared.settings import amqp_uri

    path = urlsplit(amqp_uri()).path
    return unquote(path[1:]) if path not in ("", "/") else "/"


# --- the operations ---------------------------------------------------------------------------


def setup(
    vhost: str,
    passwords: Mapping[str, str],
    services: Sequence[str] | None = None,
    prefix: str = DEFAULT_USER_PREFIX,
) -> list[BrokerUser]:
    """Create or update the user of every service (default: every declared one) in
    ``vhost`` (created if missing). ``passwords`` maps each user name to its password."""
    users = service_users(services, prefix)
    missing = [u.name for u in users if u.name not in passwords]
    if missing:
        msg = f"no password for {', '.join(missing)}"
        raise BrokerSetupError(msg)
    apply_users([(user, passwords[user.name]) for user in users], vhost)
    return users


def add_subscriber(
    name: str, services: Sequence[str], vhost: str, password: str,
    prefix: str = DEFAULT_USER_PREFIX, cleared: bool = False,
) -> BrokerUser:
    """Create or update the read-only subscriber user ``<prefix>-subscriber-<name>``."""
    for service in services:
        declaration(service)
    user = subscriber_user(name, sorted(set(services)), service_names(), prefix, cleared)
    apply_users([(user, password)], vhost)
    return user


def add_client(
    name: str, vhost: str, password: str, prefix: str = DEFAULT_USER_PREFIX
) -> BrokerUser:
    """Create or update the RPC-only client user ``<prefix>-client-<name>``."""
    user = client_user(name, service_names(), prefix)
    apply_users([(user, password)], vhost)
    return user


# --- the command line -------------------------------------------------------------------------


Decorated = TypeVar("Decorated", bound=Callable[..., Any])


def _password_options(command: Decorated) -> Decorated:
    options = [
        click.option("--vhost", default=None,
                     help="Virtual host (default: the one in AMQP_URI; created if missing)."),
        click.option("--password-file", type=click.Path(exists=True, dir_okay=False,
                                                        path_type=Path),
                     help="'user password' lines; a user missing from it gets a new one."),
        click.option("--dev", is_flag=True,
                     help="Development passwords derived from the user names (insecure)."),
        click.option("--user-prefix", default=DEFAULT_USER_PREFIX, show_default=True,
                     help="User names are <prefix>-<service> (users are broker-wide)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _passwords_or_exit(
    users: Sequence[str], dev: bool, password_file: Path | None
) -> tuple[dict[str, str], list[str]]:
    if dev and password_file is not None:
        raise click.UsageError("--dev and --password-file exclude each other")
    try:
        return choose_passwords(users, dev, password_file)
    except BrokerSetupError as error:
        raise click.ClickException(str(error)) from error


def _report(users: Sequence[BrokerUser], generated: Sequence[str],
            passwords: Mapping[str, str], vhost: str) -> None:
    if generated:
        click.echo("# generated passwords, shown only now: keep them as a --password-file",
                   err=True)
        for name in generated:
            click.echo(f"{name} {passwords[name]}")
    for user in users:
        click.echo(f"{user.name}: permissions set on vhost {vhost!r}", err=True)


@click.group("broker")
def broker() -> None:
    """RabbitMQ users and permissions: who may publish and consume what."""


@broker.command("setup")
@_password_options
def setup_command(
    vhost: str | None, password_file: Path | None, dev: bool, user_prefix: str
) -> None:
    """A user per declared service (<prefix>-<service>, for its process and its relay)."""
    vhost = vhost or default_vhost()
    users = service_users(prefix=user_prefix)
    passwords, generated = _passwords_or_exit([u.name for u in users], dev, password_file)
    try:
        setup(vhost, passwords, prefix=user_prefix)
    except BrokerSetupError as error:
        raise click.ClickException(str(error)) from error
    _report(users, generated, passwords, vhost)
    for service in service_names():
        click.echo(
            f"  {service} and its relay: DUTYTRAIL_{service.upper()}_AMQP_URI="
            f"amqp://{service_user_name(service, user_prefix)}:<password>@<host>:5672/"
            f"{quote(vhost, safe='')}",
            err=True,
        )


@broker.command("add-subscriber")
@click.argument("name")
@click.option("--service", "services", multiple=True, required=True,
              type=click.Choice(service_names()), help="A service whose events it reads.")
@click.option("--cleared", is_flag=True,
              help="Also its confidential events (<service>.confidential).")
@_password_options
def add_subscriber_command(
    name: str, services: tuple[str, ...], cleared: bool, vhost: str | None,
    password_file: Path | None, dev: bool, user_prefix: str,
) -> None:
    """A read-only user for an outside system: queues NAME.*, bound to the services' events."""
    vhost = vhost or default_vhost()
    user_name = subscriber_user_name(name, user_prefix)
    passwords, generated = _passwords_or_exit([user_name], dev, password_file)
    try:
        user = add_subscriber(
            name, services, vhost, passwords[user_name], user_prefix, cleared
        )
    except BrokerSetupError as error:
        raise click.ClickException(str(error)) from error
    _report([user], generated, passwords, vhost)


@broker.command("add-client")
@click.argument("name")
@_password_options
def add_client_command(
    name: str, vhost: str | None, password_file: Path | None, dev: bool, user_prefix: str
) -> None:
    """A user that may only call the services' RPC (nameko ClusterRpcProxy)."""
    vhost = vhost or default_vhost()
    user_name = client_user_name(name, user_prefix)
    passwords, generated = _passwords_or_exit([user_name], dev, password_file)
    try:
        user = add_client(name, vhost, passwords[user_name], user_prefix)
    except BrokerSetupError as error:
        raise click.ClickException(str(error)) from error
    _report([user], generated, passwords, vhost)


@broker.command("show")
@click.option("--user-prefix", default=DEFAULT_USER_PREFIX, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per user.")
def show_command(user_prefix: str, as_json: bool) -> None:
    """Print each service user's permissions (configure / write / read, topic)."""
    if as_json:
        import dataclasses
        import json

        for user in service_users(prefix=user_prefix):
            click.echo(json.dumps(dataclasses.asdict(user)))
        return
    for user in service_users(prefix=user_prefix):
        p = user.permissions
        click.echo(f"{user.name}\n  configure {p.configure}\n  write     {p.write}\n"
                   f"  read      {p.read}")
        for topic in user.topics:
            click.echo(f"  topic {topic.exchange}: write {topic.write}  read {topic.read}")

