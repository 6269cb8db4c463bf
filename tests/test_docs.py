"""The README and the help texts tell the truth about the commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from focal_search.cli import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_readme_setup_block_has_the_two_commands() -> None:
    block = re.search(r"<!-- setup:begin -->\n```sh\n(.*?)```\n<!-- setup:end -->", README, re.S)
    assert block is not None
    lines = block.group(1).strip().splitlines()
    assert lines == [
        'pip install . && focal-search query "Mérida Initiative"',
        "pip install '.[test]' && pytest",
    ]
    # "first screen": the set-up block comes within the first 25 lines.
    assert README[: block.start()].count("\n") < 25


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_example_and_is_in_readme(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.stdout and f"focal-search {command}" in result.stdout
    assert f"focal-search {command}" in README
