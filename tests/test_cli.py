"""The command line: conventions, help with examples, and docs that cannot drift."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

from monitor import __version__
from monitor.cli import main
from tests.conftest import ROOT, govwatch


def commands(group: click.Group = main, prefix: str = "") -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            found += commands(command, f"{full} ")
        else:
            found.append((full, command))
    return found


@pytest.mark.parametrize(("name", "command"), commands())
def test_every_command_has_help_with_an_example_and_is_in_the_readme(
    name: str, command: click.Command
) -> None:
    assert command.help and "Example:" in command.help
    assert f"govwatch {name}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_version() -> None:
    assert govwatch("--version").stdout.strip() == f"govwatch, version {__version__}"


def test_check_config_ok_and_error(tmp_path: Path) -> None:
    assert "config OK" in govwatch("check-config", "-c", "config/example.yaml").stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("sites:\n  - id: x\n    name: x\n    home: nowhere\n", encoding="utf-8")
    result = govwatch("check-config", "-c", str(bad), check=False)
    assert result.returncode == 1
    assert f"{bad}:4: sites[0] (x).home:" in result.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert govwatch("report", check=False).returncode == 2
    assert (
        govwatch(
            "crawl",
            "-c",
            "config/example.yaml",
            "--site",
            "nope",
            "--db",
            f"sqlite:///{tmp_path / 'g.db'}",
            check=False,
        ).returncode
        == 1
    )


def test_the_cli_loads_reports_and_the_scheduler_only_for_their_commands() -> None:
    probe = (
        "import sys, monitor.cli; "
        "print(sorted(m for m in ('openpyxl', 'jinja2', 'alembic', 'scrapy', "
        "'apscheduler.schedulers') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "[]"
