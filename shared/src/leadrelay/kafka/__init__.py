"""Kafka plumbing: a safe producer, a consumer runner with inbox-friendly commits and a DLQ, topic admin."""
