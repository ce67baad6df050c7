"""`sparkcodes import codes|roster` against the test database: one result line per row with the
code masked, the results CSV, the API's refusals row by row, resuming after an interruption, and
the exit status."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from sparkcodes.cli import imports
from sparkcodes.kit import crypto
from sparkcodes.roster import service as roster_service
from sparkcodes.spark_post import service as spark_post_service
from tests import factories as f


@pytest.fixture
def cli(command_line):  # type: ignore[no-untyped-def]
    """Run `sparkcodes import ...` on the test database, in a 200-column terminal."""
    return command_line("import", 200)


def ok(response, status: int = 200) -> Any:  # type: ignore[no-untyped-def]
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


class Brand:
    """A business with two ad accounts run by an admin known by e-mail, and a creator with three
    fresh codes on three posts."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        n = next(f._seq)
        self.email = f"brand{n}@example.com"
        self.h = f.user(client, email=self.email)
        self.business = f.business(client, self.h, name=f"Glow Labs {n}")
        self.us = f.ad_account(client, self.h, self.business["id"], name="Glow US")
        self.eu = f.ad_account(client, self.h, self.business["id"], name="Glow EU")
        self.creator_h = f.user(client)
        self.creator = f.creator(client, self.creator_h)
        self.posts = [f.post(client, self.creator_h, self.creator["id"], caption=f"Post {i}")
                      for i in range(3)]
        self.codes = [f.code(client, self.creator_h, p["id"]) for p in self.posts]

    def raw(self, i: int) -> str:
        return str(self.codes[i]["code"])


@pytest.fixture
def brand(client) -> Brand:  # type: ignore[no-untyped-def]
    return Brand(client)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def results_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def row_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("row ")]


def hint(raw: str) -> str:
    return crypto.parse_code(raw).hint


def test_binds_every_row_and_records_each(cli, client, brand: Brand,  # type: ignore[no-untyped-def]
                                          tmp_path: Path) -> None:
    source = write_csv(tmp_path / "codes.csv", ["code", "ad_account"], [
        [brand.raw(0), brand.us["id"]],
        [brand.raw(1).lower().replace("-", " "), "glow eu"],  # forgiving input, account by name
    ])
    result = cli("codes", str(source), "--business", brand.business["name"], "--as", brand.email)
    lines = row_lines(result.output)
    assert len(lines) == 2
    assert f"SPARK-{hint(brand.raw(0))}-… → {brand.us['id']}" in lines[0] and "bound" in lines[0]
    assert lines[1].startswith("row    2") and "→ glow eu  bound" in lines[1]
    assert "2 bound, 0 already bound, 0 failed" in result.output
    recorded = results_of(tmp_path / "codes.results.csv")
    assert [r["row"] for r in recorded] == ["1", "2"]
    assert {r["status"] for r in recorded} == {"bound"}
    assert [r["code_hint"] for r in recorded] == [hint(brand.raw(0)), hint(brand.raw(1))]
    # The secret appears nowhere: not on the screen, not in the results file.
    text = (tmp_path / "codes.results.csv").read_text()
    for i in (0, 1):
        body = crypto.parse_code(brand.raw(i)).body
        assert body[4:] not in result.output.replace("-", "") and body[4:] not in text
    listed = ok(client.get(f"/v1/ad-accounts/{brand.eu['id']}/spark-posts", headers=brand.h))
    assert [sp["id"] for sp in listed] == [recorded[1]["spark_post_id"]]


def test_a_duet_row_binds_with_its_original_post_code(cli, client, brand: Brand,  # type: ignore[no-untyped-def]
                                                      tmp_path: Path) -> None:
    duet = f.post(client, brand.creator_h, brand.creator["id"], kind="duet",
                  original_post_id=brand.posts[0]["id"])
    duet_code = f.code(client, brand.creator_h, duet["id"])["code"]
    source = write_csv(tmp_path / "duets.csv", ["Code", "Ad_Account", "original_post_code"], [
        [duet_code, brand.us["id"], brand.raw(0)],
        [duet_code, brand.eu["id"], ""],
    ])
    result = cli("codes", str(source), "-b", brand.business["id"], "--as", brand.email,
                 code=1)
    first, second = results_of(tmp_path / "duets.results.csv")
    assert first["status"] == "bound" and second["status"] == "failed"
    api = ok(f.bind(client, brand.h, brand.eu["id"], [duet_code]))["results"][0]["error"]
    assert (second["error_code"], second["message"]) == (api["code"], api["message"])
    assert api["code"] in row_lines(result.output)[1]


def test_each_refused_row_carries_the_apis_code_and_message(  # type: ignore[no-untyped-def]
        cli, client, brand: Brand, tmp_path: Path) -> None:
    ok(f.bind(client, brand.h, brand.eu["id"], [brand.raw(1)]))  # used by the other account
    ok(client.delete(f"/v1/authorizations/{brand.codes[2]['id']}", headers=brand.creator_h))
    stranger = f.World(client)  # an ad account of a business the brand is not in
    raw = brand.raw(0)
    mistyped = raw[:-1] + ("0" if raw[-1] != "0" else "1")
    rows = [
        [mistyped, brand.us["id"]],
        [crypto.new_code(), brand.us["id"]],
        [brand.raw(1), brand.us["id"]],
        [brand.raw(2), brand.us["id"]],
        [raw, stranger.account["id"]],
        [raw, ""],
        [raw, brand.us["id"]],
    ]
    source = write_csv(tmp_path / "mixed.csv", ["code", "ad_account"], rows)
    result = cli("codes", str(source), "-b", brand.business["id"], "--as", brand.email,
                 "--results", str(tmp_path / "out.csv"), code=1)
    recorded = results_of(tmp_path / "out.csv")
    assert [r["status"] for r in recorded] == ["failed"] * 6 + ["bound"]
    codes = [r["error_code"] for r in recorded[:6]]
    assert codes == ["code_mistyped", "code_not_found", "code_used_elsewhere", "code_deleted",
                     "not_found", "not_found"]
    for (text, account), r in zip(rows[:4], recorded, strict=False):
        api = ok(f.bind(client, brand.h, account, [text]))["results"][0]["error"]
        assert (r["error_code"], r["message"]) == (api["code"], api["message"])
    api = client.post(f"/v1/ad-accounts/{stranger.account['id']}/spark-posts", headers=brand.h,
                      json={"codes": [raw]}).json()["error"]
    assert (recorded[4]["error_code"], recorded[4]["message"]) == (api["code"], api["message"])
    lines = row_lines(result.output)
    assert "(unreadable code)" in lines[0] and "code_mistyped" in lines[0]
    assert "code_used_elsewhere: This code is already used by another ad account." in lines[2]
    assert "(no ad account)" in lines[5]
    assert "1 bound, 0 already bound, 6 failed" in result.output


def test_bad_files_and_options_exit_2(cli, brand: Brand, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    who = ["-b", brand.business["id"], "--as", brand.email]
    source = write_csv(tmp_path / "codes.csv", ["code", "account"], [[brand.raw(0), "x"]])
    result = cli("codes", str(source), *who, code=2)
    assert "has no 'ad_account' column" in result.output
    assert "the header row needs code, ad_account (original_post_code optional)" in \
        " ".join(result.output.split())
    assert not (tmp_path / "codes.results.csv").exists()
    result = cli("codes", str(tmp_path / "missing.csv"), *who, code=2)
    assert "Cannot read" in result.output
    good = write_csv(tmp_path / "good.csv", ["code", "ad_account"], [[brand.raw(0), "x"]])
    assert "No user with e-mail nobody@example.com" in cli(
        "codes", str(good), "-b", brand.business["id"], "--as", "nobody@example.com",
        code=2).output
    assert "No business named or with id 'Nope'" in cli(
        "codes", str(good), "-b", "Nope", "--as", brand.email, code=2).output
    short = tmp_path / "short.csv"
    short.write_text(f"code,ad_account\r\n{brand.raw(0)}\r\n", encoding="utf-8")
    assert "(no ad account)  failed not_found" in cli("codes", str(short), *who, code=1).output
    formula = write_csv(tmp_path / "formula.csv", ["code", "ad_account"],
                        [[brand.raw(0), "=1+1"]])
    cli("codes", str(formula), *who, code=1)
    assert results_of(tmp_path / "formula.results.csv")[0]["ad_account"] == "'=1+1"
    not_results = write_csv(tmp_path / "other.csv", ["a", "b"], [["1", "2"]])
    assert "is not a results file" in cli("codes", str(good), *who, "--results",
                                          str(not_results), code=2).output


def test_an_interrupted_import_resumes_where_it_stopped(  # type: ignore[no-untyped-def]
        cli, client, brand: Brand, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = write_csv(tmp_path / "codes.csv", ["code", "ad_account"], [
        [brand.raw(0), brand.us["id"]], [crypto.new_code(), brand.us["id"]],
        [brand.raw(1), brand.us["id"]], [brand.raw(2), brand.eu["id"]],
    ])
    results = tmp_path / "codes.results.csv"
    real = spark_post_service.bind_many
    calls = []

    def stop_at_the_third(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(spark_post_service, "bind_many", stop_at_the_third)
    who = ["-b", brand.business["id"], "--as", brand.email]
    result = cli("codes", str(source), *who, code=130)
    assert "Interrupted at row 3" in result.output and "run the same command again" in \
        " ".join(result.output.split())
    assert [(r["row"], r["status"]) for r in results_of(results)] == [("1", "bound"),
                                                                      ("2", "failed")]
    monkeypatch.setattr(spark_post_service, "bind_many", real)
    result = cli("codes", str(source), *who, code=1)
    lines = row_lines(result.output)
    assert "already bound (skipped)" in lines[0]
    assert "code_not_found" in lines[1]  # a failed row is tried again
    assert "bound" in lines[2] and "bound" in lines[3]
    assert "2 bound, 1 already bound, 1 failed" in result.output
    recorded = results_of(results)
    assert [(r["row"], r["status"]) for r in recorded] == [
        ("1", "bound"), ("2", "failed"), ("3", "bound"), ("4", "bound")]  # one line per row
    # Fixing the failed row and running again binds only it.
    fixed = write_csv(tmp_path / "codes.csv", ["code", "ad_account"], [
        [brand.raw(0), brand.us["id"]], [brand.raw(0), brand.eu["id"]],
        [brand.raw(1), brand.us["id"]], [brand.raw(2), brand.eu["id"]],
    ])
    result = cli("codes", str(fixed), *who, code=1)
    assert "3 already bound" in result.output  # row 2's code is now used by Glow US
    assert results_of(results)[1]["error_code"] == "code_used_elsewhere"


def test_a_line_torn_by_a_kill_is_redone(cli, brand: Brand, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    who = ["-b", brand.business["id"], "--as", brand.email]
    source = write_csv(tmp_path / "codes.csv", ["code", "ad_account", "note"], [
        [brand.raw(0), brand.us["id"], "first"], [brand.raw(1), brand.us["id"]]])  # a short row
    results = tmp_path / "codes.results.csv"
    results.write_text(",".join(("row", "ad_account", "code_hint", "status", "error_code",
                                 "message", "spark_post_id")) + "\r\n1," + brand.us["id"]
                       + f",{hint(brand.raw(0))},bou", encoding="utf-8")
    result = cli("codes", str(source), *who)
    assert "2 bound, 0 already bound, 0 failed" in result.output
    assert [(r["row"], r["status"]) for r in results_of(results)] == [("1", "bound"),
                                                                      ("2", "bound")]


def test_a_changed_row_is_not_taken_for_the_bound_one(cli, brand: Brand,  # type: ignore[no-untyped-def]
                                                      tmp_path: Path) -> None:
    who = ["-b", brand.business["id"], "--as", brand.email]
    source = write_csv(tmp_path / "codes.csv", ["code", "ad_account"],
                       [[brand.raw(0), brand.us["id"]]])
    cli("codes", str(source), *who)
    write_csv(source, ["code", "ad_account"], [[brand.raw(1), brand.us["id"]]])
    result = cli("codes", str(source), *who)
    assert "1 bound, 0 already bound" in result.output


def test_an_analyst_may_not_import(cli, client, brand: Brand, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    email = f"analyst{next(f._seq)}@example.com"
    f.user(client, email=email)
    ok(client.put(f"/v1/businesses/{brand.business['id']}/members", headers=brand.h,
                  json={"email": email, "role": "analyst"}))
    source = write_csv(tmp_path / "codes.csv", ["code", "ad_account"],
                       [[brand.raw(0), brand.us["id"]]])
    result = cli("codes", str(source), "-b", brand.business["id"], "--as", email, code=2)
    assert f"{email} may not import into" in result.output
    assert "(role_insufficient)" in result.output


# --- roster ------------------------------------------------------------------------------------

def test_roster_rows_go_through_the_roster_service(cli, client, brand: Brand,  # type: ignore[no-untyped-def]
                                                   tmp_path: Path) -> None:
    other = f.creator(client, f.user(client))
    source = write_csv(tmp_path / "roster.csv", ["handle", "status", "rate", "notes"], [
        ["@" + brand.creator["handle"], "active", "250.50", "loves serums"],
        [other["handle"], "", "", ""],
        [brand.creator["handle"], "", "", ""],
        ["nobody_here_at_all", "", "", ""],
        [other["handle"], "sleeping", "", ""],
    ])
    result = cli("roster", str(source), "-b", brand.business["id"], "--as", brand.email, code=1)
    lines = row_lines(result.output)
    assert "added" in lines[0] and "added" in lines[1]
    assert "roster_entry_exists" in lines[2] and "is on the roster already" in lines[2]
    assert "creator_not_found" in lines[3]
    assert "validation_error: status:" in lines[4]
    assert "2 added, 0 already added, 3 failed" in result.output
    roster = ok(client.get(f"/v1/businesses/{brand.business['id']}/roster", headers=brand.h))
    by_handle = {e["creator"]["handle"]: e for e in roster["items"]}
    assert by_handle[brand.creator["handle"]]["status"] == "active"
    assert by_handle[brand.creator["handle"]]["rate"] in ("250.50", 250.5)
    assert by_handle[other["handle"]]["status"] == "prospect"
    good = write_csv(tmp_path / "more.csv", ["Handle"], [[f.creator(client, f.user(client))[
        "handle"]]])
    assert "1 added, 0 already added, 0 failed" in cli(
        "roster", str(good), "-b", brand.business["id"], "--as", brand.email).output
    bad = write_csv(tmp_path / "bad.csv", ["creator"], [["x"]])
    assert "has no 'handle' column" in cli("roster", str(bad), "-b", brand.business["id"],
                                           "--as", brand.email, code=2).output


def test_a_roster_import_records_each_row_and_resumes_after_an_interruption(  # type: ignore[no-untyped-def]
        cli, client, brand: Brand, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    handles = [f.creator(client, f.user(client))["handle"] for _ in range(3)]
    source = write_csv(tmp_path / "roster.csv", ["handle"],
                       [[handles[0]], ["nobody_here_at_all"], [handles[1]], [handles[2]]])
    results = tmp_path / "roster.results.csv"
    real = roster_service.add
    calls = []

    def stop_at_the_third(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(roster_service, "add", stop_at_the_third)
    who = ["-b", brand.business["id"], "--as", brand.email]
    result = cli("roster", str(source), *who, code=130)
    assert "Interrupted at row 3" in result.output
    recorded = results_of(results)
    assert [(r["row"], r["handle"], r["status"], r["error_code"]) for r in recorded] == [
        ("1", handles[0], "added", ""), ("2", "nobody_here_at_all", "failed",
                                         "creator_not_found")]
    assert recorded[0]["roster_entry_id"]
    assert "No creator account by that name" in recorded[1]["message"]
    monkeypatch.setattr(roster_service, "add", real)
    result = cli("roster", str(source), *who, code=1)
    lines = row_lines(result.output)
    assert "already added (skipped)" in lines[0]
    assert "creator_not_found" in lines[1]  # a failed row is tried again
    assert "added" in lines[2] and "added" in lines[3]
    assert "2 added, 1 already added, 1 failed" in result.output
    assert [(r["row"], r["status"]) for r in results_of(results)] == [
        ("1", "added"), ("2", "failed"), ("3", "added"), ("4", "added")]
    # A codes results file is not taken for a roster's.
    codes_results = write_csv(tmp_path / "codes.results.csv", list(imports.RESULT_COLUMNS), [])
    assert "is not a results file of `sparkcodes import roster`" in " ".join(cli(
        "roster", str(source), *who, "--results", str(codes_results), code=2).output.split())

