"""Handlers of `gateway users create NAME --role ROLE [--team TEAM]`, `gateway users list` and
`gateway users disable NAME`.

The password is never an argument (argv is visible to every user of the machine through `ps`):
it comes from the environment variable GATEWAY_USER_PASSWORD, else from standard input (one line;
on a terminal it is asked for without echo).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TextIO

from sqlalchemy.engine import Engine

from admin.accounts.errors import AccountError
from admin.accounts.passwords import PasswordHashing
from admin.accounts.settings import AccountSettings
from admin.accounts.users import ROLES, UserChange, change_user, create_user, list_users

PASSWORD_VARIABLE = "GATEWAY_USER_PASSWORD"


def add_users_arguments(create: argparse.ArgumentParser, disable: argparse.ArgumentParser) -> None:
    """Add the arguments of `users create` and `users disable` to their sub-parsers."""
    create.add_argument("name")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--team", help="the team this person authors prompts for")
    disable.add_argument("name")


def read_password(environ: dict[str, str] | os._Environ[str], stdin: TextIO) -> str:
    """The new password from GATEWAY_USER_PASSWORD, else from standard input."""
    if environ.get(PASSWORD_VARIABLE):
        return environ[PASSWORD_VARIABLE]
    if stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Repeat it: ") != first:
            raise AccountError("The two passwords differ.")
        return first
    return stdin.readline().rstrip("\r\n")


def cmd_users_create(engine: Engine, args: argparse.Namespace, settings: AccountSettings | None = None) -> int:
    """Create the account; prints one line and returns the exit status (2 when refused)."""
    settings = settings or AccountSettings()
    try:
        password = read_password(os.environ, sys.stdin)
        user = create_user(
            engine,
            PasswordHashing(),
            name=args.name,
            role=args.role,
            team=getattr(args, "team", None),
            password=password,
            min_password_length=settings.min_password_length,
            actor="cli",
        )
    except AccountError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 2
    print(f"created user {user.name} with role {user.role}; they can log in at /admin/login")
    return 0


def cmd_users_list(engine: Engine, args: argparse.Namespace) -> int:
    """Print one line per account: name, role, team, status."""
    for user in list_users(engine):
        print(f"{user.name}\trole={user.role}\tteam={user.team or '-'}\t{'disabled' if user.disabled else 'active'}")
    return 0


def cmd_users_disable(engine: Engine, args: argparse.Namespace, settings: AccountSettings | None = None) -> int:
    """Disable an account and end its sessions."""
    settings = settings or AccountSettings()
    try:
        change_user(
            engine,
            PasswordHashing(),
            args.name,
            UserChange(disabled=True),
            actor="cli",
            min_password_length=settings.min_password_length,
        )
    except AccountError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 2
    print(f"disabled user {args.name}; their sessions have ended")
    return 0
