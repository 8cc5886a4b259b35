"""ACLs per service principal: declared from the topics each service owns and reads, planned against and applied
to a cluster (aiokafka has the protocol messages, not an admin call for them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import for_code
from aiokafka.protocol.admin import CreateAclsRequest, DescribeAclsRequest

from leadrelay.events.topics import Topics
from leadrelay.kafka.admin import admin_client
from leadrelay.kafka.ownership import SERVICES, consumer_group_prefix
from leadrelay.settings import KafkaSettings


class Resource(IntEnum):
    """Kafka's resource types (the protocol's numbers)."""

    ANY = 1
    TOPIC = 2
    GROUP = 3


class Pattern(IntEnum):
    """Kafka's resource pattern types."""

    ANY = 1
    LITERAL = 3
    PREFIXED = 4


class Operation(IntEnum):
    """Kafka's ACL operations."""

    ANY = 1
    READ = 3
    WRITE = 4
    DESCRIBE_CONFIGS = 10


ALLOW = 3
ANY_PERMISSION = 1


@dataclass(frozen=True, order=True)
class Acl:
    """One allow rule: principal may do operation on a resource (a name, or every name with a prefix)."""

    principal: str
    resource: Resource
    name: str
    pattern: Pattern
    operation: Operation

    def __str__(self) -> str:
        pattern = "prefix " if self.pattern == Pattern.PREFIXED else ""
        return f"allow {self.principal} {self.operation.name} on {self.resource.name.lower()} {pattern}{self.name}"


def default_principals() -> dict[str, str]:
    """Each service signs in as a user named after it."""
    return {service: f"User:{service}" for service in SERVICES}


def declared_acls(topics: Topics, principals: Mapping[str, str]) -> list[Acl]:
    """Return every service's ACLs: write its own topics, read what it consumes with its own groups, write the
    dead letters of what it reads, and see each of those topics' configs (its start-time check)."""
    acls: set[Acl] = set()
    for service, owned in SERVICES.items():
        principal = principals[service]
        written = [topics.name(w) for w in owned.writes] + [topics.dlq(topics.name(r)) for r in owned.reads]
        grants = [(name, Pattern.LITERAL, Operation.WRITE) for name in written]
        grants += [(topics.name(r), Pattern.LITERAL, Operation.READ) for r in owned.reads]
        grants += [(topics.name(p), Pattern.PREFIXED, Operation.WRITE) for p in owned.writes_prefixed]
        for name, pattern, operation in grants:
            acls.add(Acl(principal, Resource.TOPIC, name, pattern, operation))
            acls.add(Acl(principal, Resource.TOPIC, name, pattern, Operation.DESCRIBE_CONFIGS))
        if owned.reads:
            group = consumer_group_prefix(topics, service)
            acls.add(Acl(principal, Resource.GROUP, group, Pattern.PREFIXED, Operation.READ))
    return sorted(acls)


async def existing_acls(admin: AIOKafkaAdminClient) -> set[Acl]:
    """Return every allow ACL on topics and groups the cluster has."""
    request = DescribeAclsRequest(Resource.ANY, None, Pattern.ANY, None, None, Operation.ANY, ANY_PERMISSION)  # type: ignore[arg-type]
    response = await admin._send_request(request)  # aiokafka has the message, not a public call
    if response.error_code:
        raise for_code(response.error_code)(response.error_message)
    found: set[Acl] = set()
    for resource_type, name, pattern, entries in response.resources:
        if resource_type not in (Resource.TOPIC, Resource.GROUP) or pattern not in (
            Pattern.LITERAL,
            Pattern.PREFIXED,
        ):
            continue
        for principal, _host, operation, permission in entries:
            if permission == ALLOW and operation in Operation._value2member_map_:
                found.add(
                    Acl(principal, Resource(resource_type), name, Pattern(pattern), Operation(operation))
                )
    return found


async def plan_acls(kafka: KafkaSettings, declared: Iterable[Acl]) -> list[Acl]:
    """Return the declared ACLs the cluster lacks (others are left alone: never deleted)."""
    async with admin_client(kafka) as admin:
        have = await existing_acls(admin)
    return [acl for acl in declared if acl not in have]


async def apply_acls(kafka: KafkaSettings, declared: Iterable[Acl]) -> list[Acl]:
    """Create the declared ACLs the cluster lacks; return them."""
    async with admin_client(kafka) as admin:
        missing = [acl for acl in declared if acl not in await existing_acls(admin)]
        for acl in missing:
            request = CreateAclsRequest(
                acl.resource, acl.name, acl.pattern, acl.principal, "*", acl.operation, ALLOW
            )
            response = await admin._send_request(request)
            for code, message in response.creation_responses:
                if code:
                    raise for_code(code)(f"{acl}: {message}")
    return missing
