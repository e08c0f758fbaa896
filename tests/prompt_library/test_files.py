"""Prompt files: the seeds import, export writes them back unchanged, and the CLI handlers print."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from gateway.core.db import create_database_engine
from prompt_library import service
from prompt_library.cli import cmd_prompts_export, cmd_prompts_import, cmd_prompts_list
from prompt_library.errors import PromptConflict
from prompt_library.files import PromptFileError, export_prompts, import_prompts, read_prompt_file
from prompt_library.models import PROMPT_TABLES
from tests.prompt_library.helpers import SEEDS


def copy_seeds(target: Path) -> Path:
    target.mkdir()
    for seed in SEEDS.glob("*.yaml"):
        (target / seed.name).write_text(seed.read_text(encoding="utf-8"), encoding="utf-8")
    return target


def test_the_seed_prompts_import(engine: Engine) -> None:
    report = import_prompts(engine, SEEDS)
    assert sorted(report.prompts_created) == ["code-review", "meeting-summary", "sql-from-question", "support-reply"]
    assert len(report.versions_created) == 6
    assert service.resolve_for_use(engine, "support-reply")[1].version == 2
    assert service.get_prompt(engine, "sql-from-question", team="data").versions[0].state == "in_review"


def test_export_then_import_round_trips_every_field(engine: Engine, tmp_path: Path) -> None:
    import_prompts(engine, SEEDS)
    exported = tmp_path / "exported"
    assert len(export_prompts(engine, exported)) == 4
    for seed in SEEDS.glob("*.yaml"):
        assert read_prompt_file(exported / seed.name) == read_prompt_file(seed)

    second = create_database_engine(f"sqlite:///{tmp_path}/second.db")
    SQLModel.metadata.create_all(second, tables=PROMPT_TABLES)
    import_prompts(second, exported)
    again = tmp_path / "again"
    export_prompts(second, again)
    for path in exported.glob("*.yaml"):
        assert (again / path.name).read_text() == path.read_text()
    second.dispose()


def test_importing_the_same_files_twice_changes_nothing(engine: Engine) -> None:
    import_prompts(engine, SEEDS)
    report = import_prompts(engine, SEEDS)
    assert (report.prompts_created, report.versions_created, len(report.versions_unchanged)) == ([], [], 6)


def test_a_file_that_changes_a_stored_version_is_a_conflict_and_imports_nothing(engine: Engine, tmp_path: Path) -> None:
    import_prompts(engine, SEEDS)
    edited = copy_seeds(tmp_path / "edited")
    data = yaml.safe_load((edited / "code-review.yaml").read_text())
    data["versions"][0]["messages"][0]["content"] += " Be brief."
    (edited / "code-review.yaml").write_text(yaml.safe_dump(data))
    (edited / "new-prompt.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "new-prompt",
                "owner_team": "legal",
                "versions": [{"version": 1, "author": "x", "messages": [{"role": "system", "content": "Hi"}]}],
            }
        )
    )
    with pytest.raises(PromptConflict, match="code-review v1: differs from the stored version"):
        import_prompts(engine, edited)
    assert "new-prompt" not in [listing.prompt.name for listing in service.list_prompts(engine, team="legal")]


def test_a_file_approved_by_its_own_author_is_refused_naming_the_file(tmp_path: Path, engine: Engine) -> None:
    folder = copy_seeds(tmp_path / "seeds")
    data = yaml.safe_load((folder / "meeting-summary.yaml").read_text())
    data["versions"][0]["reviewer"] = data["versions"][0]["author"]
    (folder / "meeting-summary.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(PromptFileError, match=r"meeting-summary.yaml: versions.0: .*no self-approval"):
        import_prompts(engine, folder)


def test_a_template_error_in_a_file_names_its_key_path(tmp_path: Path, engine: Engine) -> None:
    folder = copy_seeds(tmp_path / "seeds")
    data = yaml.safe_load((folder / "code-review.yaml").read_text())
    data["versions"][0]["messages"][0]["role"] = "wizard"
    (folder / "code-review.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(PromptFileError, match=r"code-review.yaml: versions.0.messages.0.role: Input should be"):
        import_prompts(engine, folder)


def test_the_cli_handlers_import_list_and_export(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cmd_prompts_import(engine, argparse.Namespace(directory=str(SEEDS)))
    assert "imported 4 new prompt(s), 6 new version(s)" in capsys.readouterr().out
    cmd_prompts_list(engine, argparse.Namespace(tag="sql"))
    assert capsys.readouterr().out.startswith("sql-from-question\tteam=data\tv1\ttags=data,sql,analytics\t")
    cmd_prompts_export(engine, argparse.Namespace(directory=str(tmp_path / "out")))
    assert capsys.readouterr().out == f"exported 4 prompt(s) to {tmp_path / 'out'}\n"
