"""Issue 13 follow-up: `--help` text wraps to the terminal. Docstrings' hard line breaks used to
cut sentences mid-line in the command list and in a command's own help."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from sparkcodes.cli import app
from sparkcodes.cli.common import reflow


@pytest.mark.parametrize(("text", "expected"), [
    ("One line.", "One line."),
    ("A sentence\n    broken in two.", "A sentence broken in two."),
    ("First.\n\n    Second\n    paragraph.", "First.\n\nSecond paragraph."),
    ("\n    Leading and  spaced\n\n\n    out.\n", "Leading and spaced\n\nout."),
])
def test_reflow(text, expected):  # type: ignore[no-untyped-def]
    assert reflow(text) == expected


def _plain(output: str) -> str:
    """The help as prose: box borders and padding gone, lines joined."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", output).split())


@pytest.mark.parametrize(("args", "sentence"), [
    (["--help"], "Seal every stored secret again under the current secret key: TikTok "
                 "connections' access tokens and app secrets"),
    (["import", "codes", "--help"], "its result line is written before the next row starts: "
                                    "rerun the same command after an interruption"),
])
def test_help_wraps_to_the_terminal(args, sentence):  # type: ignore[no-untyped-def]
    wide = CliRunner().invoke(app, args, env={"COLUMNS": "250", "TERMINAL_WIDTH": "250"})
    assert wide.exit_code == 0, wide.output
    assert sentence in _plain(wide.output)
    # At 250 columns the sentence fits on one line: nothing breaks it.
    assert any(sentence in line for line in wide.output.splitlines()), wide.output
