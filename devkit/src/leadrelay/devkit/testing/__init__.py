"""Test support: real infrastructure fixtures (a pytest plugin) and waiting helpers."""
