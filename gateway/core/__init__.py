"""Shared foundations every room may import: settings, errors, storage, Redis, shared types."""
