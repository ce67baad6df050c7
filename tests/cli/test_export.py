"""`sparkcodes export tracker|codes|report` against the test database: CSV to a file or standard
output, rows that match what the import bound and what the API reports, and cells a spreadsheet
never runs as formulas."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from sparkcodes.kit import crypto
from sparkcodes.kit.spreadsheet import safe_cell
from tests import factories as f
from tests.cli.test_import import Brand, results_of, write_csv


@pytest.fixture
def cli(command_line):  # type: ignore[no-untyped-def]
    """Run `sparkcodes export ...` on the test database."""
    return command_line("export", 200)


@pytest.fixture
def importer(command_line):  # type: ignore[no-untyped-def]
    return command_line("import", 200)


def ok(response, status: int = 200) -> Any:  # type: ignore[no-untyped-def]
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_imported_codes_export_as_they_were_bound(cli, importer, client,  # type: ignore[no-untyped-def]
                                                  tmp_path: Path) -> None:
    brand = Brand(client)
    source = write_csv(tmp_path / "codes.csv", ["code", "ad_account"], [
        [brand.raw(0), brand.us["id"]], [brand.raw(1), brand.eu["id"]],
        [brand.raw(2), brand.us["id"]]])
    importer("codes", str(source), "-b", brand.business["id"], "--as", brand.email)
    bound = results_of(tmp_path / "codes.results.csv")

    target = tmp_path / "codes-export.csv"
    result = cli("codes", "-b", brand.business["name"], "--out", str(target))
    assert f"Wrote 3 row(s) to {target}" in result.output
    with target.open(newline="", encoding="utf-8") as fh:
        exported = list(csv.DictReader(fh))
    assert sorted((r["ad_account_id"], r["code_hint"]) for r in exported) == sorted(
        (r["ad_account"], f"SPARK-{r['code_hint']}-…") for r in bound)
    assert {r["status"] for r in exported} == {"IN_USE"}
    assert {r["ad_account_name"] for r in exported} == {"Glow US", "Glow EU"}
    text = target.read_text(encoding="utf-8")
    for i in range(3):
        assert crypto.parse_code(brand.raw(i)).body[4:] not in text

    tracker = rows_of(cli("tracker", "-b", brand.business["id"]).stdout)
    assert sorted(r["spark_post_id"] for r in tracker) == sorted(r["spark_post_id"]
                                                                 for r in bound)
    assert {r["status"] for r in tracker} == {"AUTHORIZED"}


def test_cells_that_would_be_formulas_are_quoted(cli, client) -> None:  # type: ignore[no-untyped-def]
    w = f.World(client)
    post = f.post(client, w.creator_h, w.creator["id"], caption='=HYPERLINK("http://x","y")')
    code = f.code(client, w.creator_h, post["id"])
    f.spark_post_id(client, w.brand_h, w.account["id"], code["code"])
    for what in ("codes", "tracker"):
        (row,) = rows_of(cli(what, "-b", w.business["id"]).stdout)
        assert row["caption"] == '\'=HYPERLINK("http://x","y")', what


def test_the_report_matches_the_api(cli, client) -> None:  # type: ignore[no-untyped-def]
    w = f.Running(client)
    batch = ([f.event(w.post["id"], "impression", ad_id=w.ad["id"]) for _ in range(4)]
             + [f.event(w.post["id"], "like", ad_id=w.ad["id"])])
    assert ok(f.events(client, w.creator_h, batch))["accepted"] == len(batch)
    api = ok(f.report(client, w.brand_h, "ad_account", w.account["id"], granularity="total"))
    (row,) = rows_of(cli("report", "-b", w.business["id"]).stdout)
    assert row["level"] == "ad_account" and row["id"] == w.account["id"]
    assert row["impressions"] == str(api["total"]["impressions"]) == "4"
    assert row["likes"] == "1" and row["engagements"] == "1"
    (by_ad,) = rows_of(cli("report", "-b", w.business["id"], "--level", "ad").stdout)
    assert by_ad["id"] == w.ad["id"] and by_ad["ad_account_id"] == w.account["id"]
    # A default ad name starts with the creator's @handle: the cell is kept from being a formula.
    assert by_ad["name"] == safe_cell(w.ad["name"]) == "'" + w.ad["name"]
    assert rows_of(cli("report", "-b", w.business["id"], "--start", "2020-01-01",
                       "--end", "2020-01-07").stdout) == []


def test_bad_options_exit_2(cli, client) -> None:  # type: ignore[no-untyped-def]
    w = f.World(client)
    assert "No business named or with id 'Nope'" in cli("codes", "-b", "Nope", code=2).output
    assert "No report level 'post'" in cli("report", "-b", w.business["id"], "--level", "post",
                                           code=2).output
    assert "YYYY-MM-DD" in cli("report", "-b", w.business["id"], "--start", "yesterday",
                               code=2).output
    assert "invalid_date_range" in cli("report", "-b", w.business["id"], "--start",
                                       "2026-02-01", "--end", "2026-01-01", code=2).output
