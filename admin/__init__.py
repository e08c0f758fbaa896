"""The admin room: the JSON API under /admin/api and, later, the web UI for people."""
