"""Issue 13 (smaller points): the README's "A code's life over HTTP" runs as written against a
live server, and runs again: the second run used to stop on handle_taken. When a step is refused,
its helper prints the error's code and words, never a Python traceback."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import factories as f

README = Path(__file__).resolve().parents[2] / "README.md"
PASSWORD = "sparkcodes-demo"


def _walk(api: str) -> str:
    section = README.read_text().split("## A code's life over HTTP", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None, "the README lost its walk"
    script = block.group(1)
    assert script.startswith("API=http://127.0.0.1:8000\n")
    return script.replace("API=http://127.0.0.1:8000", f"API={api}", 1)


def _run(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.mark.skipif(shutil.which("curl") is None, reason="the README walk uses curl")
def test_the_readme_walk_runs_twice_and_says_errors_plainly(client, live_url):  # type: ignore[no-untyped-def]
    script = _walk(live_url)
    # Before the demo exists, the log-in is refused: in words, not a traceback.
    refused = _run(script)
    assert "Traceback" not in refused.stderr, refused.stderr
    assert "invalid_credentials: Wrong e-mail or password." in refused.stderr, refused.stderr
    maya = f.user(client, email="maya@demo.sparkcodes.dev", password=PASSWORD)
    brand = f.user(client, email="brand@demo.sparkcodes.dev", password=PASSWORD)
    business = f.business(client, brand, "Glow Skincare")
    f.ad_account(client, brand, business["id"], "Glow US")
    for attempt in (1, 2):
        done = _run(script)
        assert done.returncode == 0, (attempt, done.stderr)
        assert done.stderr == "", (attempt, done.stderr)
        assert '"eligible":true' in done.stdout, (attempt, done.stdout)
        assert '"error":{' not in done.stdout, (attempt, done.stdout)
    creators = client.get("/v1/creators", headers=maya).json()
    assert [c["handle"] for c in creators] == ["maya.tries"]  # found again, not made twice
