"""People who use the admin web UI: accounts with a role, password logins, and sessions."""
