"""Handlers of `gateway prompts import|export|list`: each takes the Engine and parsed arguments, and prints."""

from __future__ import annotations

import argparse

from sqlalchemy.engine import Engine

from prompt_library.files import export_prompts, import_prompts
from prompt_library.service import list_prompts


def cmd_prompts_import(engine: Engine, args: argparse.Namespace) -> None:
    """Import the prompt files of `args.directory` (all or nothing)."""
    report = import_prompts(engine, args.directory)
    print(
        f"imported {len(report.prompts_created)} new prompt(s), {len(report.versions_created)} new version(s); "
        f"{len(report.versions_unchanged)} version(s) already up to date"
    )
    for label in report.versions_created:
        print(f"  + {label}")


def cmd_prompts_export(engine: Engine, args: argparse.Namespace) -> None:
    """Write every prompt, with all its versions, to `args.directory`."""
    written = export_prompts(engine, args.directory)
    print(f"exported {len(written)} prompt(s) to {args.directory}")


def cmd_prompts_list(engine: Engine, args: argparse.Namespace) -> None:
    """One line per prompt: name, owner team, latest approved version, tags, description.

    Optional filters: `args.tag`, `args.owner_team`, `args.query`; `args.team` also shows that
    team's unapproved prompts.
    """
    listings = list_prompts(
        engine,
        team=getattr(args, "team", None),
        query=getattr(args, "query", None),
        tag=getattr(args, "tag", None),
        owner_team=getattr(args, "owner_team", None),
    )
    if not listings:
        print("no prompts")
    for listing in listings:
        approved = listing.latest_approved
        latest = f"v{approved.version}" if approved is not None else "unapproved"
        tags = ",".join(listing.prompt.tags) or "-"
        print(
            f"{listing.prompt.name}\tteam={listing.prompt.owner_team}\t{latest}\ttags={tags}\t{listing.prompt.description}"
        )
