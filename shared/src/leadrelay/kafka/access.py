"""Signing in to the broker once at start, so a wrong password or an untrusted certificate stops a service with a
message naming the setting instead of a retry loop that never succeeds."""

from __future__ import annotations

import asyncio
import ssl

from aiokafka.conn import collect_hosts, create_conn
from aiokafka.errors import IllegalSaslStateError, SaslAuthenticationFailed, UnsupportedSaslMechanismError

from leadrelay.settings import KafkaSettings


class BrokerAccessRefused(Exception):
    """The broker refused the configured credentials, or the configured CA does not trust the broker."""


async def check_access(kafka: KafkaSettings, timeout_s: float = 5.0) -> bool:
    """Connect and sign in to the bootstrap servers in turn: True at the first that lets us in, False when none
    answered (a broker that is down is waited for elsewhere); BrokerAccessRefused names the setting at fault."""
    options = kafka.client_options()
    del options["bootstrap_servers"]
    for host, port, _ in collect_hosts(kafka.bootstrap_servers, randomize=False):
        try:
            async with asyncio.timeout(timeout_s):
                connection = await create_conn(
                    host, port, request_timeout_ms=int(timeout_s * 1000), **options
                )
        except (SaslAuthenticationFailed, IllegalSaslStateError) as exc:
            raise BrokerAccessRefused(
                f"the broker at {host}:{port} refused LEADRELAY_KAFKA_SASL_USERNAME={kafka.sasl_username} with "
                f"the LEADRELAY_KAFKA_SASL_PASSWORD given ({kafka.sasl_mechanism}): {exc}"
            ) from None
        except UnsupportedSaslMechanismError as exc:
            raise BrokerAccessRefused(
                f"the broker at {host}:{port} does not offer "
                f"LEADRELAY_KAFKA_SASL_MECHANISM={kafka.sasl_mechanism}: {exc}"
            ) from None
        except ssl.SSLCertVerificationError as exc:
            trusted = kafka.ssl_cafile or "the system's CAs"
            raise BrokerAccessRefused(
                f"the certificate of the broker at {host}:{port} is not trusted: LEADRELAY_KAFKA_SSL_CAFILE="
                f"{trusted} (with LEADRELAY_KAFKA_SSL_CHECK_HOSTNAME={kafka.ssl_check_hostname}): "
                f"{exc.verify_message}"
            ) from None
        except ssl.SSLError as exc:
            raise BrokerAccessRefused(
                f"TLS with the broker at {host}:{port} failed; does it listen with "
                f"LEADRELAY_KAFKA_SECURITY_PROTOCOL={kafka.security_protocol}? {exc}"
            ) from None
        except Exception:  # down, or not answering yet: not a setting's fault
            continue
        connection.close()
        return True
    return False
