"""A second real TikTok client, unchanged, against the surface /open_api/v1.3: the Singer tap
``tap-tiktok-ads`` (PyPI, 1.2.1) extracts one ad account's campaign, ad group, Spark ad and
daily report rows (docs/tiktok-singer-tap-notes.md says what it sends and reads).

How the tap reaches the test server. Its base URL is not configurable: ``client.py`` builds
``https://business-api.tiktok.com/open_api/v1.3`` (``sandbox-ads`` when ``sandbox`` is true) in
code. It calls through a plain ``requests.Session``, which honours the standard environment
variables, so the tap is pointed here the way any requests-based client is pointed at a
stand-in: ``HTTPS_PROXY`` names a small proxy in this process that answers ``CONNECT
business-api.tiktok.com:443``, terminates TLS with a certificate from a throwaway CA
(``REQUESTS_CA_BUNDLE`` trusts that CA only), and forwards each request as it came (path, query,
headers, ``Host: business-api.tiktok.com``) to ``live_url``. No line of the tap is changed,
patched or monkey-patched, and it cannot reach the real TikTok: the proxy tunnels to nothing else
and the CA bundle trusts nothing else.

Where the tap comes from. Its pins (``singer-python==6.8.0`` → ``python-dateutil==2.*``,
``jsonschema==2.*``; ``requests==2.34.2``) would downgrade our own test environment, so it lives
in a venv of its own, built once and kept under ``var/tap-tiktok-ads-1.2.1/``. The test is
skipped, saying why, when pip cannot install it. ``SPARKCODES_TAP_TIKTOK_ADS`` may name an
installed ``tap-tiktok-ads`` executable instead (its venv's ``python`` must sit beside it); one
installed in this test environment at version 1.2.1 is used as is.

SQLite only, like the browser tests: the surface's queries are the ones the JSON suite runs on
PostgreSQL; this checks a client's reading of them.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.metadata
import json
import os
import shutil
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests import factories as f

TAP = "tap-tiktok-ads"
TAP_VERSION = "1.2.1"
VENV = Path(__file__).resolve().parents[2] / "var" / f"{TAP}-{TAP_VERSION}"
TIKTOK_HOSTS = ("business-api.tiktok.com", "sandbox-ads.tiktok.com")
PREFIX = "/open_api/v1.3/"
TAP_TIMEOUT = 180  # seconds; the tap's own retries on 40100/402xx/5xxxx sleep 300 s each
# The streams the surface serves, and the one report stream this test reads.
STREAMS = ("campaigns", "adgroups", "ads", "ad_insights")
# What the ad receives in the test: event type, how many, the report metric it counts in.
PAID = [("impression", 4, "impressions"), ("like", 2, "likes"), ("comment", 1, "comments"),
        ("share", 1, "shares"), ("follow", 1, "follows"), ("profile_visit", 1, "profile_visits")]
EXPECTED = {metric: n for _, n, metric in PAID}
SPEND = 0.04  # 4 impressions at a CPM bid of 10.00 (factories.ad_group)


# --- the tap, in a venv of its own ---------------------------------------------------------------

def _own_install() -> Path | None:
    """tap-tiktok-ads installed in this test environment (the `test` extra), at our version."""
    try:
        version = importlib.metadata.version(TAP)
    except importlib.metadata.PackageNotFoundError:
        return None
    exe = Path(sys.executable).parent / TAP
    return exe if version == TAP_VERSION and exe.exists() else None


def _build_venv() -> Path:
    """`python -m venv` + `pip install tap-tiktok-ads==1.2.1`, once: a stamp marks it complete.
    A venv cannot be moved (its scripts name their interpreter), so it is built in place under a
    lock, and removed again if pip fails."""
    exe, stamp = VENV / "bin" / TAP, VENV / ".installed"
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(VENV.parent / f"{VENV.name}.lock", "w") as lock:
        with contextlib.suppress(ImportError):
            import fcntl
            fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and exe.exists():
            return exe
        shutil.rmtree(VENV, ignore_errors=True)
        steps = [[sys.executable, "-m", "venv", str(VENV)],
                 [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
                  "--disable-pip-version-check", f"{TAP}=={TAP_VERSION}"]]
        for step in steps:
            try:
                done = subprocess.run(step, capture_output=True, text=True, timeout=600)
                failure = None if done.returncode == 0 else (done.stderr or done.stdout)
            except (OSError, subprocess.TimeoutExpired) as exc:
                failure = str(exc)
            if failure is not None:
                shutil.rmtree(VENV, ignore_errors=True)
                tail = " ".join(failure.strip().splitlines()[-3:])[-600:]
                pytest.skip(f"{TAP}=={TAP_VERSION} could not be installed into {VENV} (PyPI "
                            f"unreachable?): {' '.join(step[:4])} failed: {tail}")
        stamp.write_text(TAP_VERSION + "\n")
        return exe


# Found once per session: the executable, or why the tests are skipped. (Function-scoped
# fixtures over this cache, so that a PostgreSQL run skips before anything is installed.)
_found: dict[str, Path | str] = {}


def _find_tap() -> Path:
    named = os.environ.get("SPARKCODES_TAP_TIKTOK_ADS")
    if named:
        if not Path(named).is_file():
            pytest.fail(f"SPARKCODES_TAP_TIKTOK_ADS names {named}, which is not a file")
        return Path(named)
    return _own_install() or _build_venv()


@pytest.fixture
def tap(sqlite_live_url) -> Path:  # type: ignore[no-untyped-def]
    """The `tap-tiktok-ads` executable; its venv's python is beside it."""
    if "tap" not in _found:
        try:
            _found["tap"] = _find_tap()
        except pytest.skip.Exception as exc:
            _found["tap"] = str(exc)
    found = _found["tap"]
    if isinstance(found, str):
        pytest.skip(found)
    return found


def _catalog(tap_exe: Path, streams: tuple[str, ...]) -> dict[str, Any]:
    """The tap's own schemas and standard metadata (what `--discover` writes, without calling
    the server), with `selected: true` on each stream named."""
    script = (
        "import json, sys\n"
        "from singer import metadata\n"
        "from tap_tiktok_ads.schemas import get_schemas\n"
        "from tap_tiktok_ads.streams import STREAMS\n"
        "schemas, mdata = get_schemas()\n"
        "out = []\n"
        "for name in sys.argv[1:]:\n"
        "    md = metadata.write(metadata.to_map(mdata[name]), (), 'selected', True)\n"
        "    out.append({'tap_stream_id': name, 'stream': name, 'schema': schemas[name],\n"
        "                'key_properties': STREAMS[name].key_properties,\n"
        "                'metadata': metadata.to_list(md)})\n"
        "print(json.dumps({'streams': out}))\n")
    done = subprocess.run([str(tap_exe.parent / "python"), "-c", script, *streams],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# --- HTTPS_PROXY: business-api.tiktok.com:443 -> live_url ----------------------------------------

@pytest.fixture
def tiktok_tls(sqlite_live_url, tmp_path_factory) -> tuple[Path, Path, Path]:  # type: ignore[no-untyped-def]
    """(CA certificate, server certificate, server key) for TikTok's API hosts, made once with
    the openssl command: a CA of its own (what REQUESTS_CA_BUNDLE trusts) and a leaf it signs."""
    if "tls" not in _found:
        _found["tls"] = _make_tls(tmp_path_factory.mktemp("tiktok-tls"))
    return _found["tls"]  # type: ignore[return-value]


def _make_tls(d: Path) -> tuple[Path, Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make the test proxy's certificate "
                    "(Debian: apt-get install openssl)")
    ca_key, ca, key, csr, crt, ext = (d / n for n in ("ca.key", "ca.crt", "leaf.key", "leaf.csr",
                                                      "leaf.crt", "leaf.ext"))

    def openssl(*args: str) -> None:
        done = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", str(ca_key),
            "-out", str(ca), "-subj", "/CN=sparkcodes test CA (tap-tiktok-ads)",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-addext", "subjectKeyIdentifier=hash")
    openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr),
            "-subj", f"/CN={TIKTOK_HOSTS[0]}")
    ext.write_text("basicConstraints=critical,CA:FALSE\n"
                   "keyUsage=critical,digitalSignature,keyEncipherment\n"
                   "extendedKeyUsage=serverAuth\n"
                   "subjectKeyIdentifier=hash\n"
                   "authorityKeyIdentifier=keyid\n"
                   "subjectAltName=" + ",".join(f"DNS:{h}" for h in TIKTOK_HOSTS) + "\n")
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
            "-CAcreateserial", "-days", "2", "-out", str(crt), "-extfile", str(ext))
    return ca, crt, key


_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization",
               "transfer-encoding", "te", "trailer", "upgrade", "content-length"}


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: TikTokProxy
    tunnel_host: str | None = None

    def log_message(self, *args: Any) -> None:
        pass

    def do_CONNECT(self) -> None:
        host, _, port = self.path.rpartition(":")
        if host not in TIKTOK_HOSTS or port != "443":
            self.server.refused.append(f"CONNECT {self.path}")
            self.send_error(403, f"this test proxy tunnels only to {', '.join(TIKTOK_HOSTS)}")
            self.close_connection = True
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        tls = self.server.tls.wrap_socket(self.connection, server_side=True)
        self.connection = tls
        self.rfile = tls.makefile("rb", self.rbufsize)
        self.wfile = tls.makefile("wb", self.wbufsize)
        self.tunnel_host = host
        self.close_connection = False

    def forward(self) -> None:
        if self.tunnel_host is None:  # plain HTTP through the proxy: the client left HTTPS
            self.server.refused.append(f"{self.command} {self.path}")
            self.send_error(502, "this test proxy forwards only requests tunnelled over HTTPS")
            self.close_connection = True
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        entry: dict[str, Any] = {"method": self.command, "host": self.tunnel_host,
                                 "target": self.path, "headers": dict(self.headers.items()),
                                 "body": body, "status": None}
        self.server.log.append(entry)
        upstream = urlsplit(self.server.upstream)
        conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=120)
        try:
            conn.request(self.command, self.path, body=body or None, headers=headers)
            response = conn.getresponse()
            status, reason, data = response.status, response.reason, response.read()
            out_headers = [(k, v) for k, v in response.getheaders()
                           if k.lower() not in _HOP_BY_HOP | {"server", "date"}]
        except OSError as exc:
            status, reason, data, out_headers = 502, "Bad Gateway", str(exc).encode(), []
        finally:
            conn.close()
        entry["status"], entry["response"] = status, data
        self.send_response_only(status, reason)
        for k, v in out_headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = forward

    def finish(self) -> None:
        super().finish()
        if self.tunnel_host is not None:
            with contextlib.suppress(OSError):
                self.connection.close()


class TikTokProxy(ThreadingHTTPServer):
    """An HTTP proxy on 127.0.0.1 for HTTPS_PROXY: CONNECT to TikTok's API hosts is answered
    here, over TLS, by forwarding each request to ``upstream``. It logs what it forwarded."""

    daemon_threads = True

    def __init__(self, upstream: str, cert: Path, key: Path) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.upstream = upstream
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(cert, key)
        self.log: list[dict[str, Any]] = []
        self.refused: list[str] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> TikTokProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()

    def summary(self, limit: int = 40) -> str:
        lines = [f"  {e['status']} {e['method']} {e['target'][:160]}"
                 f" -> {(e.get('response') or b'')[:200]!r}" for e in self.log[-limit:]]
        lines += [f"  refused: {r}" for r in self.refused]
        return "\n".join(lines) or "  (no request reached the proxy)"


@pytest.fixture
def tiktok_proxy(tiktok_tls, sqlite_live_url) -> Iterator[TikTokProxy]:  # type: ignore[no-untyped-def]
    _, cert, key = tiktok_tls
    with TikTokProxy(sqlite_live_url, cert, key) as proxy:
        yield proxy


@pytest.fixture
def sqlite_live_url(request, backend) -> str:  # type: ignore[no-untyped-def]
    if backend.name != "sqlite":
        pytest.skip("the Singer tap runs on SQLite only: it reads the same /open_api queries "
                    "that the JSON suite checks on PostgreSQL")
    return request.getfixturevalue("live_url")


# --- running the tap -----------------------------------------------------------------------------

class TapRun:
    def __init__(self, done: subprocess.CompletedProcess[str], proxy: TikTokProxy) -> None:
        self.returncode, self.stdout, self.stderr = done.returncode, done.stdout, done.stderr
        self.proxy = proxy
        self.messages: list[dict[str, Any]] = []  # Singer messages: one JSON object a line
        for line in done.stdout.splitlines():
            with contextlib.suppress(ValueError):
                message = json.loads(line)
                if isinstance(message, dict) and "type" in message:
                    self.messages.append(message)

    def records(self, stream: str) -> list[dict[str, Any]]:
        return [m["record"] for m in self.messages
                if m["type"] == "RECORD" and m["stream"] == stream]

    @property
    def state(self) -> dict[str, Any]:
        states = [m["value"] for m in self.messages if m["type"] == "STATE"]
        return states[-1] if states else {}

    def explain(self) -> str:
        return (f"tap exit code {self.returncode}\n--- tap stderr (end) ---\n"
                f"{self.stderr[-4000:]}\n--- requests through the proxy ---\n"
                f"{self.proxy.summary()}")


def run_tap(tap_exe: Path, proxy: TikTokProxy, ca: Path, workdir: Path, *args: str) -> TapRun:
    env = {k: v for k, v in os.environ.items()
           if "proxy" not in k.lower() and k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
                                                     "SSL_CERT_FILE", "SSL_CERT_DIR")}
    env.update(HTTPS_PROXY=proxy.url, https_proxy=proxy.url, HTTP_PROXY=proxy.url,
               http_proxy=proxy.url, REQUESTS_CA_BUNDLE=str(ca))
    try:
        done = subprocess.run([str(tap_exe), *args], cwd=workdir, env=env, capture_output=True,
                              text=True, timeout=TAP_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else \
            (exc.stderr or "")
        pytest.fail(f"{TAP} did not finish in {TAP_TIMEOUT} s. It pages until it holds "
                    "page_info.total_number rows, so a total larger than the rows the pages "
                    "give never ends; it also sleeps 300 s before retrying codes 40100, 40200-"
                    "40202, 40700, 50000 and 50002.\n--- tap stderr (end) ---\n"
                    f"{stderr[-4000:]}\n--- requests through the proxy ---\n"
                    f"{proxy.summary()}")
    return TapRun(done, proxy)


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value, indent=1))
    return path


# --- the world -----------------------------------------------------------------------------------

class TapWorld(f.Running):
    """One ad account with a campaign, an ad group and a Spark ad that got some engagement;
    a second ad account of the same brand with a campaign of its own (it must not show)."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        super().__init__(client, name="Spring hero", campaign_fields={"name": "Spring launch"},
                         ad_group_fields={"name": "US 18-34"})
        self.token = self.brand_h["Authorization"].removeprefix("Bearer ")
        self.advertiser_id = self._ad_account(client)["tiktok_id"]
        self.other_campaign = f.campaign(client, self.brand_h, self.account2["id"],
                                         name="Other account's campaign")
        self.day0 = datetime.fromisoformat(
            f._ok(client.get("/v1/sandbox/clock", headers=self.brand_h))["now"]).date()
        batch = [f.event(self.post["id"], kind, ad_id=self.ad["id"])
                 for kind, n, _metric in PAID for _i in range(n)]
        batch += [f.event(self.post["id"], "like") for _ in range(3)]  # organic: not the ad's
        out = f._ok(f.events(client, self.creator_h, batch))
        assert out["accepted"] == len(batch), out
        # What sparkcodes' own report says, for the ad, over the days the tap will ask for.
        self.v1_total = f._ok(f.report(client, self.brand_h, "ad", self.ad["id"],
                                       start_date=self.start.isoformat(),
                                       end_date=self.day0.isoformat()))["total"]

    def _ad_account(self, client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        """GET /v1/ad-accounts/{id}; where that JSON route is not served (only the page
        /ad-accounts/{id} is), the same AdAccountOut from the business's list."""
        response = client.get(f"/v1/ad-accounts/{self.account['id']}", headers=self.brand_h)
        if response.status_code in (404, 405):
            listed = f._ok(client.get(f"/v1/businesses/{self.business['id']}/ad-accounts",
                                      headers=self.brand_h))
            (account,) = [a for a in listed if a["id"] == self.account["id"]]
        else:
            account = f._ok(response)
        assert account["tiktok_id"] == self.account["tiktok_id"], account
        return account

    @property
    def start(self) -> date:
        return self.day0 - timedelta(days=1)

    def config(self) -> dict[str, Any]:
        """The tap's config: `accounts` is a comma-separated string of advertiser ids; the report
        window runs from start_date to end_date (dates in UTC); a short request_timeout keeps a
        hanging server from holding the test for the tap's default 300 s a try."""
        return {"access_token": self.token, "accounts": self.advertiser_id,
                "start_date": f"{self.start.isoformat()}T00:00:00Z",
                "end_date": f"{self.day0.isoformat()}T00:00:00Z",
                "request_timeout": 30}


def _is_tiktok_id(value: Any) -> bool:
    return isinstance(value, str) and value.isdigit() and not value.startswith("0")


def _assert_requests_were_tiktoks(run: TapRun, token: str) -> None:
    assert run.proxy.log, run.explain()
    assert not run.proxy.refused, run.explain()
    for entry in run.proxy.log:
        assert entry["host"] == "business-api.tiktok.com", entry
        assert entry["headers"].get("Access-Token") == token, entry
        assert urlsplit(entry["target"]).path.startswith(PREFIX), entry
        assert entry["status"] == 200, run.explain()


# --- the tests -----------------------------------------------------------------------------------

def test_the_tap_extracts_the_campaign_ad_group_spark_ad_and_report(sqlite_live_url, client, tap,
                                                                     tiktok_tls, tiktok_proxy,
                                                                     tmp_path):
    w = TapWorld(client)
    assert _is_tiktok_id(w.advertiser_id), w.advertiser_id
    assert {m: w.v1_total[m] for m in EXPECTED} == EXPECTED, w.v1_total  # sparkcodes' own view
    assert w.v1_total["spend"] == SPEND, w.v1_total
    config = write_json(tmp_path / "config.json", w.config())
    catalog = write_json(tmp_path / "catalog.json", _catalog(tap, STREAMS))

    run = run_tap(tap, tiktok_proxy, tiktok_tls[0], tmp_path,
                  "--config", str(config), "--catalog", str(catalog))

    assert run.returncode == 0, run.explain()
    _assert_requests_were_tiktoks(run, w.token)
    paths = {urlsplit(e["target"]).path for e in run.proxy.log}
    assert paths == {PREFIX + p for p in ("user/info", "advertiser/info/", "campaign/get/",
                                          "adgroup/get/", "ad/get/", "report/integrated/get/")}, \
        run.explain()

    # campaign/get: the account's one campaign, by its TikTok id (the other account's is not
    # there).
    campaigns = run.records("campaigns")
    assert [c["campaign_id"] for c in campaigns] == [w.campaign["tiktok_id"]], run.explain()
    (campaign,) = campaigns
    assert campaign["advertiser_id"] == w.advertiser_id
    assert campaign["campaign_name"] == "Spring launch"
    assert campaign["modify_time"]  # the tap's bookmark; a date-time it re-formats
    assert w.other_campaign["tiktok_id"] not in {c["campaign_id"] for c in campaigns}

    # adgroup/get
    groups = run.records("adgroups")
    assert [(g["adgroup_id"], g["campaign_id"]) for g in groups] == [
        (w.ad_group["tiktok_id"], w.campaign["tiktok_id"])], run.explain()
    assert groups[0]["adgroup_name"] == "US 18-34"
    assert groups[0]["advertiser_id"] == w.advertiser_id

    # ad/get: the Spark ad, every id a numeric string, the post as tiktok_item_id.
    ads = run.records("ads")
    assert len(ads) == 1, run.explain()
    (ad,) = ads
    assert (ad["ad_id"], ad["adgroup_id"], ad["campaign_id"], ad["advertiser_id"]) == (
        w.ad["tiktok_id"], w.ad_group["tiktok_id"], w.campaign["tiktok_id"], w.advertiser_id)
    assert all(_is_tiktok_id(ad[k]) for k in ("ad_id", "adgroup_id", "campaign_id",
                                              "advertiser_id")), ad
    assert ad["tiktok_item_id"] == w.post["tiktok_id"], ad
    assert ad["ad_name"] == "Spring hero"
    assert (ad["call_to_action"], ad["landing_page_url"]) == (
        w.ad["call_to_action"], w.ad["landing_page_url"])
    assert ad["operation_status"] == "ENABLE"

    # report/integrated/get (BASIC, AUCTION_AD, ad_id x stat_time_day): the ad's paid
    # engagement, on the day it happened; the organic likes are not the ad's.
    rows = run.records("ad_insights")
    assert rows, run.explain()
    assert {r["ad_id"] for r in rows} == {w.ad["tiktok_id"]}, rows
    days = {r["stat_time_day"][:10] for r in rows}
    assert days <= {w.start.isoformat(), w.day0.isoformat()}, days
    totals = {m: sum(r.get(m) or 0 for r in rows) for m in EXPECTED}
    assert totals == EXPECTED, rows
    assert sum(r.get("spend") or 0 for r in rows) == pytest.approx(SPEND), rows
    (today,) = [r for r in rows if r["stat_time_day"][:10] == w.day0.isoformat()]
    assert (today["impressions"], today["likes"], today["comments"]) == (4, 2, 1), today
    assert today["advertiser_id"] == w.advertiser_id
    # campaign_id and adgroup_id are among the key properties: the tap asks for them as
    # (attribute) metrics, and nothing else puts them in the row.
    assert (today.get("campaign_id"), today.get("adgroup_id")) == (
        w.campaign["tiktok_id"], w.ad_group["tiktok_id"]), today

    # The bookmarks the tap keeps, per advertiser id.
    bookmarks = run.state.get("bookmarks", {})
    assert set(bookmarks) == set(STREAMS), run.state
    assert all(set(b) == {w.advertiser_id} for b in bookmarks.values()), run.state
    assert bookmarks["ad_insights"][w.advertiser_id].startswith(w.day0.isoformat())


def test_the_advertisers_stream_reads_the_ad_account(sqlite_live_url, client, tap, tiktok_tls,
                                                     tiktok_proxy, tmp_path):
    """advertiser/info's `create_time` must be Unix seconds (an integer), as TikTok sends it:
    the tap passes it to datetime.fromtimestamp()."""
    w = TapWorld(client)
    config = write_json(tmp_path / "config.json", w.config())
    catalog = write_json(tmp_path / "catalog.json", _catalog(tap, ("advertisers",)))

    run = run_tap(tap, tiktok_proxy, tiktok_tls[0], tmp_path,
                  "--config", str(config), "--catalog", str(catalog))

    assert run.returncode == 0, run.explain()
    _assert_requests_were_tiktoks(run, w.token)
    (advertiser,) = run.records("advertisers")
    assert advertiser["advertiser_id"] == w.advertiser_id
    assert advertiser["name"] == w.account["name"]
    created = datetime.fromisoformat(advertiser["create_time"])  # str() of an aware datetime
    assert created.date() == datetime.fromisoformat(w.account["created_at"]).date()


def test_discovery_offers_the_streams_the_surface_serves(sqlite_live_url, client, tap,
                                                         tiktok_tls, tiktok_proxy, tmp_path):
    """`--discover` probes every stream once (page_size=1). A probe answered with code 40002 (or
    HTTP 403) drops that stream from the catalog with a warning; any other error code ends
    discovery. So the AUDIENCE report streams (age/gender, country, platform, province), which
    the surface does not serve, must be refused with 40002, not 40008."""
    w = TapWorld(client)
    config = write_json(tmp_path / "config.json", w.config())

    run = run_tap(tap, tiktok_proxy, tiktok_tls[0], tmp_path, "--config", str(config),
                  "--discover")

    assert run.returncode == 0, run.explain()
    _assert_requests_were_tiktoks(run, w.token)
    catalog = json.loads(run.stdout)  # --discover prints the catalog as one JSON document
    offered = {s["tap_stream_id"] for s in catalog["streams"]}
    assert offered >= {"advertisers", *STREAMS}, offered
    reports = [parse_qsl(urlsplit(e["target"]).query) for e in run.proxy.log
               if urlsplit(e["target"]).path == PREFIX + "report/integrated/get/"]
    assert {dict(q)["report_type"] for q in reports} == {"BASIC", "AUDIENCE"}, run.explain()
