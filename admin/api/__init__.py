"""The admin JSON API."""
