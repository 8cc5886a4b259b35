"""Delivery's pure rules: which targets may be called, when to try again, what a subscription receives."""
