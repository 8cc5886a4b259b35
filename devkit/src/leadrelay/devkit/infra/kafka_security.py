"""A secured Kafka listener for tests: SASL_SSL with SCRAM users, a CA and a broker certificate made on the spot,
and ACLs enforced (StandardAuthorizer) with one super user."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

import trustme
from cryptography.hazmat.primitives import serialization

SCRAM = "SCRAM-SHA-512"


@dataclass
class SecuredListener:
    """Credentials and certificates of a SASL_SSL broker; users get SCRAM-SHA-256 and -512 credentials."""

    workdir: Path
    users: dict[str, str] = field(default_factory=dict)
    admin: str = "admin"
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        authority = trustme.CA(organization_name="Leadrelay test CA")
        issued = authority.issue_cert("127.0.0.1", "localhost")
        self.cafile = self.workdir / "ca.pem"
        authority.cert_pem.write_to_path(str(self.cafile))
        # Kafka reads a PEM key store only with the key in PKCS#8.
        key = serialization.load_pem_private_key(issued.private_key_pem.bytes(), None).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self.keystore = self.workdir / "broker.pem"
        self.keystore.write_bytes(key + b"".join(blob.bytes() for blob in issued.cert_chain_pems))

    def all_users(self) -> dict[str, str]:
        return {self.admin: self.admin_password, **self.users}

    def format_arguments(self) -> list[str]:
        """Arguments of `kafka-storage format` that store every user's SCRAM credentials in the cluster."""
        arguments: list[str] = []
        for name, password in self.all_users().items():
            for mechanism in ("SCRAM-SHA-256", SCRAM):
                arguments += ["--add-scram", f"{mechanism}=[name={name},password={password}]"]
        return arguments

    def properties(self) -> dict[str, str]:
        """Broker settings: clients on SASL_SSL, brokers among themselves as the super user, the controller on
        SASL PLAIN (its users cannot live in the metadata it serves)."""
        scram_login = "org.apache.kafka.common.security.scram.ScramLoginModule required"
        plain_login = "org.apache.kafka.common.security.plain.PlainLoginModule required"
        admin = f'username="{self.admin}" password="{self.admin_password}"'
        return {
            "listener.security.protocol.map": "SASL_SSL:SASL_SSL,CONTROLLER:SASL_PLAINTEXT",
            "inter.broker.listener.name": "SASL_SSL",
            "sasl.mechanism.inter.broker.protocol": SCRAM,
            "listener.name.sasl_ssl.sasl.enabled.mechanisms": f"SCRAM-SHA-256,{SCRAM}",
            "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config": f"{scram_login} {admin};",
            "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": f"{scram_login} {admin};",
            "sasl.mechanism.controller.protocol": "PLAIN",
            "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
            "listener.name.controller.plain.sasl.jaas.config": (
                f'{plain_login} {admin} user_{self.admin}="{self.admin_password}";'
            ),
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(self.keystore),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(self.cafile),
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users": f"User:{self.admin}",
            "allow.everyone.if.no.acl.found": "false",
        }

    def client_env(self, user: str, mechanism: str = SCRAM) -> dict[str, str]:
        """The LEADRELAY_KAFKA_* settings of a client signing in as user."""
        return {
            "LEADRELAY_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "LEADRELAY_KAFKA_SASL_MECHANISM": mechanism,
            "LEADRELAY_KAFKA_SASL_USERNAME": user,
            "LEADRELAY_KAFKA_SASL_PASSWORD": self.all_users()[user],
            "LEADRELAY_KAFKA_SSL_CAFILE": str(self.cafile),
        }
