"""Budgets and rate limits: per team and per key, enforced in one Redis round trip (or in process)."""
