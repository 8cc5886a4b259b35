"""Delivery's adapters: its tables, repositories and the HTTP sender."""
