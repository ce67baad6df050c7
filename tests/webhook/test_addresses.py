"""Pure SSRF rules: which addresses and URL hosts a webhook may be sent to."""

from __future__ import annotations

import ipaddress

import pytest

from sparkcodes.webhook import rules

PUBLIC = [
    "8.8.8.8", "1.1.1.1", "93.184.215.14", "100.63.255.255", "100.128.0.0", "172.32.0.1",
    "192.169.0.1", "223.255.255.254",
    "2001:4860:4860::8888", "2606:4700:4700::1111", "2a00:1450:4001:82a::200e",
    "::ffff:8.8.8.8",  # mapped, NAT64 and 6to4 forms of a public IPv4 address are public too
    "64:ff9b::808:808", "2002:808:808::1",
]

BLOCKED = [
    # unspecified: 0.0.0.0 reaches this machine on Linux
    ("0.0.0.0", "an unspecified address"),
    ("0.1.2.3", "an unspecified address"),
    ("::", "an unspecified address"),
    # loopback
    ("127.0.0.1", "a loopback address"),
    ("127.255.255.254", "a loopback address"),
    ("::1", "a loopback address"),
    # link-local, where cloud metadata services live
    ("169.254.169.254", "a link-local address"),
    ("169.254.0.1", "a link-local address"),
    ("fe80::1", "a link-local address"),
    ("fe80::1%eth0", "a link-local address"),
    # shared address space (RFC 6598), which is_private does not cover
    ("100.64.0.0", "a shared (carrier-grade NAT) address"),
    ("100.127.255.255", "a shared (carrier-grade NAT) address"),
    # multicast
    ("224.0.0.1", "a multicast address"),
    ("239.255.255.250", "a multicast address"),
    ("ff02::1", "a multicast address"),
    # reserved (and the broadcast address)
    ("240.0.0.1", "a reserved address"),
    ("255.255.255.255", "a reserved address"),
    ("::7f00:1", "a reserved address"),  # deprecated IPv4-compatible form
    # private (RFC 1918, unique local, and the other special-purpose ranges)
    ("10.0.0.5", "a private address"),
    ("10.255.255.255", "a private address"),
    ("172.16.0.1", "a private address"),
    ("172.31.255.255", "a private address"),
    ("192.168.1.1", "a private address"),
    ("192.0.0.1", "a private address"),
    ("192.0.2.1", "a private address"),
    ("198.18.0.1", "a private address"),
    ("fc00::1", "a private address"),
    ("fd12:3456:789a::1", "a private address"),
    ("2001:db8::1", "a private address"),
    # IPv6 forms that carry a blocked IPv4 address are judged by it
    ("::ffff:127.0.0.1", "a loopback address"),
    ("::ffff:10.0.0.5", "a private address"),
    ("::ffff:169.254.169.254", "a link-local address"),
    ("::ffff:0.0.0.0", "an unspecified address"),
    ("64:ff9b::7f00:1", "a loopback address"),
    ("64:ff9b::a9fe:a9fe", "a link-local address"),
    ("2002:7f00:1::", "a loopback address"),
    ("2002:c0a8:101::1", "a private address"),
]


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address):
    assert rules.address_problem(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(("address", "problem"), BLOCKED)
def test_every_blocked_class_is_refused_and_named(address, problem):
    assert rules.address_problem(ipaddress.ip_address(address)) == problem


def test_the_table_covers_every_blocked_class():
    named = {p for _, p in BLOCKED}
    assert named == {"an unspecified address", "a loopback address", "a link-local address",
                     "a shared (carrier-grade NAT) address", "a multicast address",
                     "a reserved address", "a private address"}


@pytest.mark.parametrize(("host", "ip"), [
    ("127.0.0.1", "127.0.0.1"), ("[::1]", "::1"), ("::1", "::1"),
    ("fe80::1%eth0", "fe80::1%eth0"),
    # the shorthands the system resolver parses as numbers, without any lookup
    ("127.1", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"),
    ("0177.0.0.1", "127.0.0.1"), ("10.5", "10.0.0.5"),
    ("example.com", None), ("hooks.example", None), ("localhost", None), ("deadbeef", None),
    ("cafe.example", None), ("1.2.3.4.5", None), ("", None),
])
def test_ip_literals_are_recognised_without_dns(host, ip):
    expected = None if ip is None else ipaddress.ip_address(ip)
    assert rules.ip_literal(host) == expected


@pytest.mark.parametrize(("host", "local"), [
    ("localhost", True), ("LOCALHOST", True), ("localhost.", True), ("api.localhost", True),
    ("a.b.localhost.", True),
    ("localhost.example.com", False), ("notlocalhost", False), ("mylocalhost.com", False),
    ("example.com", False),
])
def test_localhost_names(host, local):
    assert rules.is_local_name(host) is local


@pytest.mark.parametrize(("url", "message"), [
    ("http://127.0.0.1:6379/",
     "Webhook URLs must reach the public internet; 127.0.0.1 is a loopback address."),
    ("http://[::1]/hooks",
     "Webhook URLs must reach the public internet; ::1 is a loopback address."),
    ("http://169.254.169.254/latest/meta-data/",
     "Webhook URLs must reach the public internet; 169.254.169.254 is a link-local address."),
    ("https://10.0.0.5/",
     "Webhook URLs must reach the public internet; 10.0.0.5 is a private address."),
    ("http://[::ffff:127.0.0.1]/",
     "Webhook URLs must reach the public internet; ::ffff:127.0.0.1 is a loopback address."),
    ("http://100.64.1.1/",
     "Webhook URLs must reach the public internet; 100.64.1.1 is a shared (carrier-grade NAT) "
     "address."),
    ("http://0.0.0.0:8000/",
     "Webhook URLs must reach the public internet; 0.0.0.0 is an unspecified address."),
    ("http://2130706433/",
     "Webhook URLs must reach the public internet; 2130706433 (127.0.0.1) is a loopback "
     "address."),
    ("http://localhost:8000/x",
     "Webhook URLs must reach the public internet; localhost is this server itself."),
    ("http://Admin.LOCALHOST./",
     "Webhook URLs must reach the public internet; admin.localhost. is this server itself."),
])
def test_urls_naming_a_non_public_host_are_refused(url, message):
    with pytest.raises(rules.WebhookUrlNotPublic) as exc:
        rules.check_public_url(url)
    assert exc.value.code == "webhook_url_not_public" and exc.value.status == 422
    assert exc.value.message == message


@pytest.mark.parametrize("url", [
    "https://example.com/hooks", "http://8.8.8.8/x", "https://[2606:4700:4700::1111]/",
    "https://hooks.example/",  # a name: checked, resolved, at every delivery instead
    "https://localhost.example.com/",
])
def test_urls_naming_a_public_or_unresolved_host_pass(url):
    rules.check_public_url(url)


def _ips(*addresses: str) -> list[rules.IPAddress]:
    return [ipaddress.ip_address(a) for a in addresses]


@pytest.mark.parametrize(("host", "addresses", "text"), [
    ("hooks.example", ["93.184.215.14"], None),
    ("hooks.example", ["93.184.215.14", "2606:4700:4700::1111"], None),
    ("hooks.example", ["10.0.0.5"],
     "refused: hooks.example resolves to 10.0.0.5, a private address"),
    # ANY blocked address refuses, wherever it is in the answer
    ("hooks.example", ["93.184.215.14", "127.0.0.1"],
     "refused: hooks.example resolves to 127.0.0.1, a loopback address"),
    ("hooks.example", ["2606:4700:4700::1111", "fd00::1"],
     "refused: hooks.example resolves to fd00::1, a private address"),
    ("meta.example", ["169.254.169.254"],
     "refused: meta.example resolves to 169.254.169.254, a link-local address"),
    ("127.0.0.1", ["127.0.0.1"], "refused: 127.0.0.1 is a loopback address"),
    ("127.1", ["127.0.0.1"], "refused: 127.1 is a loopback address"),
    ("hooks.example", [], "refused: hooks.example resolves to no address"),
])
def test_delivery_refusal_text(host, addresses, text):
    assert rules.refusal(host, _ips(*addresses)) == text
