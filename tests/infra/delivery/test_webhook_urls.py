"""Which webhook addresses may be registered: public https only, whatever spelling an internal address
hides behind; plain http and internal addresses only for receivers on the operator's allow-list.
These are the raw forms, as a caller other than the API (whose URL type normalises first) passes them.
"""

from __future__ import annotations

import pytest

from infra.delivery import webhook_targets
from infra.delivery.webhook_targets import AllowList, WebhookUrlRefused, check_url, is_public

NOTHING_ALLOWED = AllowList()
PUBLIC_IP = "93.184.215.14"


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names resolve from a table (no network): one public name, one that points inside."""
    table = {"ontvanger.example.nl": [PUBLIC_IP], "intern.example.nl": [PUBLIC_IP, "10.1.2.3"]}
    monkeypatch.setattr(webhook_targets, "resolve", lambda host, _port: table.get(host, []))


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "https://127.0.0.1/hook", "https://127.0.0.2:8443/", "https://localhost/hook",
    "https://LOCALHOST./hook", "https://api.localhost/", "https://2130706433/", "https://0177.0.0.1/",
    "https://0x7f.1/", "https://0x7f000001/", "https://127.1/", "https://017700000001/", "https://0/",
    "https://0.0.0.0/", "https://169.254.169.254/latest/meta-data/", "https://10.0.0.1/", "https://172.16.5.4/",
    "https://192.168.1.1/", "https://100.64.0.1/", "https://224.0.0.1/", "https://255.255.255.255/",
    "https://[::1]/", "https://[::]/", "https://[fd00::1]/", "https://[fc00::1]/", "https://[fe80::1]/",
    "https://[fe80::1%25eth0]/", "https://[::ffff:127.0.0.1]/", "https://[::ffff:7f00:1]/",
    "https://[::127.0.0.1]/", "https://[64:ff9b::a00:1]/", "https://[2002:7f00:1::1]/",
    "https://ontvanger.example.nl@127.0.0.1/", "https://user:wachtwoord@ontvanger.example.nl/",
    "https://intranet/", "https://metadata.google.internal/", "https://printer.local/", "https://router.lan/",
    "https://intern.example.nl/", "http://ontvanger.example.nl/hook", "ftp://ontvanger.example.nl/",
    "file:///etc/passwd", "gopher://ontvanger.example.nl/", "https:///pad", "https://ontvanger.example.nl:0/",
    "https://ontvanger.example.nl:99999/", "https://ontvanger.example.nl\\@127.0.0.1/",
    "https://ontvanger.example.nl /", "https://ontvanger.example.nl\t/",
])
def test_an_address_that_can_reach_inside_is_refused_with_a_dutch_reason(url: str) -> None:
    """Every internal or disguised form is a WebhookUrlRefused that says what is wrong and what is allowed."""
    with pytest.raises(WebhookUrlRefused) as refused:
        check_url(url, NOTHING_ALLOWED)
    reason, allowed = refused.value.problems
    assert reason.startswith(("Het ", "De naam ", "In het ", "'"))
    assert allowed.startswith("Toegestaan is een https-adres van een openbaar bereikbare server")
    assert refused.value.message == "Webhook URL refused"


def test_a_name_that_resolves_inside_is_refused_without_quoting_the_address() -> None:
    """The reason names the host as it was typed, never the internal address it resolved to: registration
    must not become a way to look up names that only resolve on the inside.
    """
    with pytest.raises(WebhookUrlRefused) as refused:
        check_url("https://intern.example.nl/hook", NOTHING_ALLOWED)
    reason, _ = refused.value.problems
    assert reason == "De naam 'intern.example.nl' verwijst naar een intern of niet-openbaar adres."
    assert "10.1.2.3" not in " ".join(refused.value.problems)


@pytest.mark.parametrize("url", [
    "https://ontvanger.example.nl/hook", "https://ontvanger.example.nl:8443/pad?x=1",
    f"https://{PUBLIC_IP}/hook", "https://[2606:4700::1111]/hook", "https://nog-niet-in-dns.example.nl/",
])
def test_a_public_https_address_is_accepted(url: str) -> None:
    """A public name or address over https passes (a name DNS does not know yet too: delivery checks again)."""
    check_url(url, NOTHING_ALLOWED)


def test_the_allow_list_admits_exactly_the_named_test_receivers() -> None:
    """``127.0.0.1:8765`` admits plain http to that port only and not another spelling of the address;
    a bare host admits every port of it.
    """
    allow = AllowList.parse("127.0.0.1:8765, ontvanger.test [::1]:9000")
    check_url("http://127.0.0.1:8765/hook", allow)
    check_url("http://ontvanger.test:1234/hook", allow)
    check_url("http://[::1]:9000/", allow)
    for url in ("http://127.0.0.1:8766/hook", "http://2130706433:8765/", "http://localhost:8765/",
                "http://[::1]:9001/", "http://user@127.0.0.1:8765/"):
        with pytest.raises(WebhookUrlRefused):
            check_url(url, allow)
    assert AllowList.parse("") == AllowList()


@pytest.mark.parametrize(("address", "public"), [
    ("8.8.8.8", True), ("2606:4700::1111", True), ("127.0.0.1", False), ("10.9.8.7", False),
    ("169.254.169.254", False), ("0.0.0.0", False), ("::1", False), ("::", False), ("fd12::1", False),  # noqa: S104 - an address under test, nothing binds
    ("fe80::1%eth0", False), ("::ffff:10.0.0.1", False), ("::ffff:8.8.8.8", True), ("::127.0.0.1", False),
    ("64:ff9b::7f00:1", False), ("64:ff9b::808:808", True), ("64:ff9b:1::1", False), ("2002:a00:1::", False),
    ("224.0.0.251", False), ("ff02::1", False), ("100.100.100.100", False), ("192.0.2.1", False),
])
def test_only_globally_reachable_addresses_are_public(address: str, *, public: bool) -> None:
    """IPv6 forms that carry an IPv4 address are judged by that address."""
    assert is_public(address) is public
