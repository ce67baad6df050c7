"""`sparkcodes tracker` (R22) against the test database: the Rich table at 100 columns, filters,
business by name or id, and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests import factories as f


@pytest.fixture
def cli(command_line):  # type: ignore[no-untyped-def]
    """Run `sparkcodes tracker ...` on the test database, in a 100-column terminal."""
    return command_line("tracker", 100)


def ok(response, status: int = 200) -> Any:  # type: ignore[no-untyped-def]
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


class Shop:
    """A business with two ad accounts: a 7-day code with a live ad and a 30-day contract, and a
    365-day code of another creator."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.maya_h, self.leo_h, self.h = f.user(client), f.user(client), f.user(client)
        self.maya = f.creator(client, self.maya_h, handle=f"maya.moves_{next(f._seq)}")
        self.leo = f.creator(client, self.leo_h, handle=f"leo_lifts_{next(f._seq)}")
        self.business = f.business(client, self.h, name="Glow Labs")
        self.a = f.ad_account(client, self.h, self.business["id"], name="Glow US Prospecting")
        self.b = f.ad_account(client, self.h, self.business["id"], name="Glow EU")
        self.post1 = f.post(client, self.maya_h, self.maya["id"],
                            caption="Morning glow routine with the new vitamin C serum, "
                                    "three weeks in #ad #skincare")
        self.post2 = f.post(client, self.leo_h, self.leo["id"], caption="Gym bag essentials")
        code1 = f.code(client, self.maya_h, self.post1["id"], days=7)
        code2 = f.code(client, self.leo_h, self.post2["id"], days=365)
        self.sp1 = f.spark_post_id(client, self.h, self.a["id"], code1["code"])
        self.sp2 = f.spark_post_id(client, self.h, self.b["id"], code2["code"])
        campaign = f.campaign(client, self.h, self.a["id"])
        group = f.ad_group(client, self.h, campaign["id"])
        f.ad(client, self.h, group["id"], self.sp1)
        now = datetime.fromisoformat(ok(client.get("/v1/sandbox/clock", headers=self.h))["now"])
        ok(client.post(f"/v1/businesses/{self.business['id']}/contracts", headers=self.h,
                       json={"creator_id": self.maya["id"], "starts_at": now.isoformat(),
                             "ends_at": (now + timedelta(days=30)).isoformat()}), 201)


@pytest.fixture
def shop(client) -> Shop:  # type: ignore[no-untyped-def]
    return Shop(client)


def table_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


def test_table_reads_well_at_100_columns(cli, shop: Shop) -> None:  # type: ignore[no-untyped-def]
    out = cli("--business", "Glow Labs").output
    lines = table_lines(out)
    assert all(len(line) <= 100 for line in lines), "\n".join(lines)
    assert lines[0].startswith("Glow Labs: 2 Spark post(s)")
    header = lines[1]
    for column in ("creator", "post", "ad account", "status", "ends", "left", "live",
                   "at risk", "contract"):
        assert column in header, header
    first = next(line for line in lines if shop.maya["handle"][:8] in line)
    assert "Morning glow" in first and "Glow US" in first
    assert " ok " in first and " 7d " in first and "1/1" in first and "0.00" in first
    assert "*" in first  # the 7-day code ends before the 30-day contract
    second = next(line for line in lines if shop.leo["handle"][:8] in line)
    assert "Glow EU" in second and "365d" in second and "0/0" in second
    assert lines.index(first) < lines.index(second)  # soonest end first
    assert "Spend at risk 0.00 a day · 1 flagged" in out
    assert "* code ends before its contract" in out


def test_business_by_id_and_filters(cli, client, shop: Shop) -> None:  # type: ignore[no-untyped-def]
    by_id = cli("--business", shop.business["id"], "--expiring-within", "7d").output
    assert shop.maya["handle"][:8] in by_id and shop.leo["handle"][:8] not in by_id
    assert cli("--business", "glow labs", "--expiring-within", "3d").output.strip() == \
        "Glow Labs: no Spark posts match."
    out = cli("--business", "Glow Labs", "--ad-account", shop.b["id"]).output
    assert shop.leo["handle"][:8] in out and shop.maya["handle"][:8] not in out
    out = cli("--business", "Glow Labs", "--creator", "@" + shop.maya["handle"]).output
    assert shop.maya["handle"][:8] in out and shop.leo["handle"][:8] not in out
    out = cli("--business", "Glow Labs", "--sort", "-expiry", "--limit", "1").output
    assert "1 of 2 Spark post(s)" in out and shop.leo["handle"][:8] in out
    f.advance(client, shop.h, "P8D")
    out = cli("--business", "Glow Labs", "--status", "AUTHORIZATION_EXPIRED").output
    assert shop.maya["handle"][:8] in out and " expired " in out and " ended " in out


def test_refusals(cli, client, shop: Shop) -> None:  # type: ignore[no-untyped-def]
    result = cli("--business", "Nope Inc", code=1)
    assert "No business named or with id 'Nope Inc'" in result.output
    result = cli("--business", "Glow Labs", "--expiring-within", "soon", code=1)
    assert "invalid_expiring_within" in result.output
    other = f.World(client)
    result = cli("--business", "Glow Labs", "--ad-account", other.account["id"], code=1)
    assert "No such ad account" in result.output
    f.business(client, f.user(client), name="Glow Labs")
    result = cli("--business", "Glow Labs", code=1)
    assert "2 businesses are named 'Glow Labs'" in result.output
    assert shop.business["id"] in result.output


def test_csv_export(cli, shop: Shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "tracker.csv"
    result = cli("--business", shop.business["id"], "--csv", str(target), "--limit", "1")
    assert f"Wrote 2 row(s) to {target}" in result.output  # every row, not the table's limit
    with target.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["spark_post_id"] for r in rows] == [shop.sp1, shop.sp2]
    assert rows[0]["caption"].startswith("Morning glow routine with the new vitamin C serum")
    assert rows[0]["status"] == "AUTHORIZED" and rows[0]["flags"] == "code_shorter_than_contract"
    assert rows[1]["ad_account_name"] == "Glow EU" and rows[1]["days_left"] == "365"
    stdout = cli("--business", "Glow Labs", "--creator", shop.leo["handle"], "--csv", "-").output
    (only,) = list(csv.DictReader(io.StringIO(stdout)))
    assert only["spark_post_id"] == shop.sp2


def test_spend_at_risk_is_totalled_per_currency(cli, client) -> None:  # type: ignore[no-untyped-def]
    from tests.tracker.test_currencies import _world

    _world(client)  # 0.09 USD and 0.04 EUR at risk, in two ad accounts of one business
    out = cli("--business", "Glow Skincare").output
    assert "0.09 USD" in out and "0.04 EUR" in out
    assert "Spend at risk 0.09 USD · 0.04 EUR a day · 0 flagged" in out
    assert "0.13" not in out  # dollars and euros are never added
