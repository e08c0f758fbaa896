"""Alembic migrations of the gateway's schema, applied by `gateway db upgrade`."""
