"""The `gateway` command: serve, quickstart, teams, keys, db, users, prompts, use cases."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import timedelta
from functools import partial
from pathlib import Path

from sqlalchemy.engine import Engine

import prompt_library
from admin.accounts.cli import add_users_arguments, cmd_users_create, cmd_users_disable, cmd_users_list
from admin.accounts.users import missing_accounts
from gateway.config import AppConfig, load_config
from gateway.core import keys
from gateway.core.db import create_database_engine
from gateway.core.errors import GatewayError
from gateway.core.migrate import schema_is_current, upgrade_database
from gateway.core.models import utcnow
from gateway.core.notices import KEYS_CHANGED, ChangeNotices
from gateway.core.redis import create_redis
from gateway.core.settings import ConfigError, GatewaySettings, load_settings
from gateway.logs import configure_logging
from gateway.offline import apply_offline_defaults
from policies.cli import cmd_policies_check as check_policy_files
from prompt_library.cli import cmd_prompts_export, cmd_prompts_import, cmd_prompts_list
from prompt_library.files import PromptFileError, import_prompts
from use_cases import cli as use_cases_cli
from use_cases import registry as use_case_registry

QUICKSTART_TEAM = "demo"
SEED_PROMPTS = Path(prompt_library.__file__).resolve().parent / "seeds"


class CommandError(Exception):
    """A command failed for a reason the user can act on; printed without a traceback."""


def _settings(args: argparse.Namespace) -> GatewaySettings:
    path = args.config or os.environ.get("GATEWAY_CONFIG") or None
    return load_settings(path)


def _prepare_schema(settings: GatewaySettings) -> None:
    """SQLite (the embedded default) is migrated at start; a shared database only by `db upgrade`,
    so that replicas starting together never race on a migration."""
    if settings.database_url.startswith("sqlite"):
        upgrade_database(settings.database_url)
    else:
        _engine_for(settings).dispose()


def _engine_for(settings: GatewaySettings) -> Engine:
    engine = create_database_engine(settings.database_url)
    try:
        current = schema_is_current(engine)
    except Exception as exc:  # unreachable database, bad credentials: say so, no traceback
        engine.dispose()
        raise CommandError(f"cannot use the database ({type(exc).__name__}: {exc})") from None
    if not current:
        engine.dispose()
        raise CommandError("the database schema is not up to date: run `gateway db upgrade` first")
    return engine


def _config(args: argparse.Namespace) -> AppConfig:
    return load_config(args.config or os.environ.get("GATEWAY_CONFIG") or None)


def _serve(config: AppConfig, args: argparse.Namespace) -> None:
    import uvicorn

    from gateway.app import create_app

    _prepare_schema(config.core)
    if args.config:
        os.environ["GATEWAY_CONFIG"] = args.config  # workers read the same file
    options: dict[str, object] = {
        "host": args.host,
        "port": args.port,
        "loop": "uvloop",
        "http": "httptools",
        "access_log": args.access_log,
        "log_config": None,  # keep our logging (and its scrubber)
        # The gateway reads forwarded headers itself, and only from GATEWAY_ADMIN_TRUSTED_PROXIES;
        # uvicorn's default would believe X-Forwarded-For from any loopback peer.
        "proxy_headers": False,
        "timeout_graceful_shutdown": 30,
    }
    if args.workers > 1:
        # Workers are separate processes: prometheus_client sums them through files in this folder.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="gateway-metrics-")
        uvicorn.run("gateway.app:create_app", factory=True, workers=args.workers, **options)  # type: ignore[arg-type]
    else:
        uvicorn.run(create_app(config), **options)  # type: ignore[arg-type]


def cmd_serve(args: argparse.Namespace) -> None:
    config = _config(args)
    groups = len(config.core.model_groups())
    print(
        f"gateway: serving {groups} model group(s) on http://{args.host}:{args.port}/v1 ({config.source})", flush=True
    )
    _serve(config, args)


def cmd_quickstart(args: argparse.Namespace) -> None:
    config = _config(args)
    settings = config.core
    engine = _engine(args)
    try:
        keys.create_team(engine, QUICKSTART_TEAM)
    except keys.TeamExists:
        pass
    new = keys.create_key(engine, QUICKSTART_TEAM, name="quickstart")
    import_prompts(engine, SEED_PROMPTS)  # so the library has something to browse; idempotent
    engine.dispose()
    base = f"http://{args.host}:{args.port}/v1"
    model = next(iter(settings.model_groups()), "mock-gpt")
    print(
        f"""
The gateway is starting on {base} with the built-in mock model '{model}' (no provider key needed).
A key for team '{QUICKSTART_TEAM}' was created for you (shown once): {new.secret}

Call it with curl:
  curl {base}/chat/completions -H "Authorization: Bearer {new.secret}" \\
    -H "Content-Type: application/json" \\
    -d '{{"model": "{model}", "messages": [{{"role": "user", "content": "Hello"}}]}}'

Or with the openai SDK:
  from openai import OpenAI
  client = OpenAI(base_url="{base}", api_key="{new.secret}")
  print(client.chat.completions.create(model="{model}", messages=[{{"role": "user", "content": "Hello"}}]))
""",
        flush=True,
    )
    _serve(config, args)


def cmd_policies_check(args: argparse.Namespace) -> int:
    if args.path is None:
        args.path = str(_config(args).policies_dir)
    return check_policy_files(args)


def cmd_db_upgrade(args: argparse.Namespace) -> None:
    settings = _settings(args)
    upgrade_database(settings.database_url)
    print("database schema is up to date")


def _engine(args: argparse.Namespace) -> Engine:
    settings = _settings(args)
    if settings.database_url.startswith("sqlite"):
        upgrade_database(settings.database_url)  # the embedded default needs no separate step
    return _engine_for(settings)


def cmd_teams_create(args: argparse.Namespace) -> None:
    models = [m.strip() for m in args.models.split(",") if m.strip()] if args.models else None
    try:
        team = keys.create_team(_engine(args), args.name, models=models, policy=args.policy)
    except keys.TeamExists as exc:
        raise CommandError(str(exc)) from None
    print(f"created team {team.name} (id {team.id})")


def cmd_teams_list(args: argparse.Namespace) -> None:
    for team in keys.list_teams(_engine(args)):
        models = ",".join(team.models) if team.models is not None else "*"
        print(f"{team.name}\tmodels={models}\tpolicy={team.policy or '-'}")


def cmd_keys_create(args: argparse.Namespace) -> None:
    expires_at = utcnow() + timedelta(days=args.expires_in_days) if args.expires_in_days else None
    engine = _engine(args)
    try:
        if args.use_case:  # checked first, so a wrong use case creates no key
            use_case_registry.check_bindable(engine, args.use_case, args.team)
        new = keys.create_key(engine, args.team, name=args.name, expires_at=expires_at)
    except keys.UnknownTeam as exc:
        raise CommandError(str(exc)) from None
    if args.use_case:
        assert new.record.id is not None
        use_case_registry.bind_key(engine, new.record.id, new.record.prefix, args.use_case, actor=use_cases_cli.ACTOR)
    print(f"created key {new.record.prefix} for team {args.team}; it is shown once, store it now:")
    print(new.secret)


def cmd_keys_list(args: argparse.Namespace) -> None:
    for key, team in keys.list_keys(_engine(args), args.team):
        state = "revoked" if key.revoked_at else "active"
        print(f"{key.prefix}\tteam={team.name}\t{state}\tname={key.name or '-'}")


def _announce_key_change(settings: GatewaySettings, subject: str) -> None:
    """Tell the running gateways (through Redis) to drop the key now; without Redis each re-checks
    a verified key within at most a second (see gateway.auth.key_check_seconds)."""
    if not settings.redis_url:
        return
    redis_url = settings.redis_url

    async def announce() -> None:
        redis = create_redis(redis_url)
        try:
            await ChangeNotices(redis, settings.redis_key_prefix).announce(KEYS_CHANGED, subject)
        finally:
            await redis.aclose()

    asyncio.run(announce())


def cmd_keys_revoke(args: argparse.Namespace) -> None:
    settings = _settings(args)
    try:
        key = keys.revoke_key(_engine(args), args.prefix)
    except keys.UnknownKey as exc:
        raise CommandError(str(exc)) from None
    _announce_key_change(settings, f"key:{key.prefix}")
    print(f"revoked key {key.prefix}; every gateway refuses it now")


def cmd_use_cases_register(args: argparse.Namespace) -> None:
    engine = _engine(args)
    models = tuple(_config(args).core.model_groups())
    use_cases_cli.cmd_register(engine, args, missing_people=partial(missing_accounts, engine), models=models)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway", description="LLM governance gateway")
    parser.add_argument("--log-level", default=os.environ.get("GATEWAY_LOG_LEVEL", "INFO"))
    commands = parser.add_subparsers(dest="command", required=True)

    def command(
        parent: argparse._SubParsersAction[argparse.ArgumentParser],
        name: str,
        handler: Callable[[argparse.Namespace], int | None],
        help_text: str,
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = parent.add_parser(name, help=help_text)
        sub.add_argument("--config", help="YAML configuration file (default: $GATEWAY_CONFIG, else embedded defaults)")
        sub.set_defaults(handler=handler)
        return sub

    for name, handler, text in (
        ("serve", cmd_serve, "run the gateway"),
        ("quickstart", cmd_quickstart, "create a demo key and run the gateway"),
    ):
        sub = command(commands, name, handler, text)
        sub.add_argument("--host", default="127.0.0.1")
        sub.add_argument("--port", type=int, default=4000)
        sub.add_argument("--workers", type=int, default=1)
        sub.add_argument("--access-log", action="store_true")

    db = commands.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    command(db, "upgrade", cmd_db_upgrade, "apply migrations")

    teams = commands.add_parser("teams", help="teams").add_subparsers(dest="teams_command", required=True)
    sub = command(teams, "create", cmd_teams_create, "create a team")
    sub.add_argument("name")
    sub.add_argument("--models", help="comma-separated model groups the team may use (default: all)")
    sub.add_argument("--policy", help="name of the team's policy")
    command(teams, "list", cmd_teams_list, "list teams")

    policy_commands = commands.add_parser("policies", help="policy files").add_subparsers(
        dest="policies_command", required=True
    )
    sub = policy_commands.add_parser("check", help="validate policy files (exit 1 on problems)")
    sub.add_argument("path", nargs="?", default=None, help="a policy folder or file (default: the configured one)")
    sub.add_argument("--config")
    sub.set_defaults(handler=cmd_policies_check)

    prompt_commands = commands.add_parser("prompts", help="the shared prompt library").add_subparsers(
        dest="prompts_command", required=True
    )
    sub = command(prompt_commands, "import", lambda a: cmd_prompts_import(_engine(a), a), "import prompt YAML files")
    sub.add_argument("directory")
    sub = command(prompt_commands, "export", lambda a: cmd_prompts_export(_engine(a), a), "export every prompt")
    sub.add_argument("directory")
    sub = command(prompt_commands, "list", lambda a: cmd_prompts_list(_engine(a), a), "list prompts")
    sub.add_argument("--tag")
    sub.add_argument("--owner-team")
    sub.add_argument("--query")
    sub.add_argument("--team", help="also show this team's unapproved prompts")

    user_commands = commands.add_parser("users", help="people who use the admin UI").add_subparsers(
        dest="users_command", required=True
    )
    create = command(
        user_commands,
        "create",
        lambda a: cmd_users_create(_engine(a), a),
        "create a person (password from GATEWAY_USER_PASSWORD or stdin)",
    )
    disable = command(user_commands, "disable", lambda a: cmd_users_disable(_engine(a), a), "disable a person")
    add_users_arguments(create, disable)
    command(user_commands, "list", lambda a: cmd_users_list(_engine(a), a), "list people")

    use_case_commands = commands.add_parser("use-cases", help="the use case registry").add_subparsers(
        dest="use_cases_command", required=True
    )
    use_cases_cli.add_use_case_arguments(
        command(use_case_commands, "register", cmd_use_cases_register, "register a use case (it starts in intake)"),
        command(use_case_commands, "list", lambda a: use_cases_cli.cmd_list(_engine(a), a), "list use cases"),
        command(use_case_commands, "show", lambda a: use_cases_cli.cmd_show(_engine(a), a), "a use case and its gates"),
        command(
            use_case_commands,
            "stage",
            lambda a: use_cases_cli.cmd_stage(_engine(a), _config(a).use_cases, a),
            "request a stage change (opens its gate)",
        ),
        command(
            use_case_commands,
            "approve",
            lambda a: use_cases_cli.cmd_approve(_engine(a), _config(a).use_cases, a),
            "approve a gate for one role",
        ),
    )

    key_commands = commands.add_parser("keys", help="virtual keys").add_subparsers(dest="keys_command", required=True)
    sub = command(key_commands, "create", cmd_keys_create, "create a key (printed alone on the last line)")
    sub.add_argument("--team", required=True)
    sub.add_argument("--name", default="")
    sub.add_argument("--expires-in-days", type=float)
    sub.add_argument("--use-case", help="bind the key to one of its team's use cases (an id)")
    sub = command(key_commands, "list", cmd_keys_list, "list keys")
    sub.add_argument("--team")
    sub = command(key_commands, "revoke", cmd_keys_revoke, "revoke a key by its prefix")
    sub.add_argument("prefix")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    apply_offline_defaults()
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        status = args.handler(args)
    except (ConfigError, CommandError, PromptFileError) as exc:
        print(f"gateway: {'configuration error: ' if isinstance(exc, ConfigError) else ''}{exc}", file=sys.stderr)
        return 2
    except GatewayError as exc:  # a refusal from the domain (a prompt conflict, an invalid template…)
        print(f"gateway: {exc.message}", file=sys.stderr)
        return 2
    return int(status or 0)


if __name__ == "__main__":
    sys.exit(main())
