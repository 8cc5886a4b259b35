"""Delivery: handoffs and SLA warnings to the tools and people that act on them."""
