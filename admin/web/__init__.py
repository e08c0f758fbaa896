"""The admin web UI: server-rendered pages under /admin for reviewers, finance, admins and teams."""
