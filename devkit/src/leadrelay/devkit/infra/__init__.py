"""Finding or starting a Kafka-compatible broker and PostgreSQL: configured, containers, or embedded."""
