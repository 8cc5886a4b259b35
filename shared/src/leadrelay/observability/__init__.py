"""Observability: Prometheus metrics, JSON logs without personal data, health endpoints."""
