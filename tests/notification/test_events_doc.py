"""docs/events.md stays in step with the event catalog (notification/catalog.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sparkcodes.kit import crypto
from sparkcodes.notification import catalog

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"
ROW = re.compile(r"^\| `([a-z_]+\.[a-z_]+)` \| (business|creator|both) \| (.+) \|$", re.M)
EXAMPLE = re.compile(r"```json\n(.*?)```", re.S)


def _rows() -> dict[str, tuple[str, str]]:
    return {name: (audience, summary) for name, audience, summary in ROW.findall(DOC.read_text())}


def test_every_catalog_event_is_documented_with_its_audience():
    rows = _rows()
    missing = sorted(set(catalog.EVENTS) - set(rows))
    assert not missing, f"add these events to docs/events.md: {missing}"
    for name, event in catalog.EVENTS.items():
        assert rows[name][0] == event.audience, name


def test_the_doc_names_no_event_the_catalog_lacks():
    assert sorted(set(_rows()) - set(catalog.EVENTS)) == []


def test_every_event_family_has_a_valid_payload_example():
    examples = []
    for block in EXAMPLE.findall(DOC.read_text()):
        body = json.loads(block)
        if body.get("type") in catalog.EVENTS:
            assert set(body) == {"type", "timestamp", "data"}, body["type"]
            examples.append(body["type"])
    families = {name.split(".")[0] for name in catalog.EVENTS}
    covered = {name.split(".")[0] for name in examples}
    assert sorted(families - covered) == [], "add a payload example for these families"


def test_no_example_shows_a_whole_code():
    text = DOC.read_text()
    assert not re.search(crypto.CODE_PREFIX + r"-(?:[0-9A-Z]{4}-){2,}", text)
    assert '"code":' not in text
