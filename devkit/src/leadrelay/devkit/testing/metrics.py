"""Reading a service's /metrics page in tests and benchmarks."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def sample_values(text: str, name: str, **labels: str) -> list[float]:
    """Values of the samples called name whose labels include the given ones, from a /metrics page."""
    return [
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    ]
