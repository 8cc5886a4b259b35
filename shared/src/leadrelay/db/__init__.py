"""Database plumbing: engine, unit of work, outbox and its relay, inbox."""
