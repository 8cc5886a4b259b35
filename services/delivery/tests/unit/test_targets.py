"""Webhook targets: public addresses only, unless allow-listed; no credentials in URLs; typos named."""

import re
from ipaddress import ip_address

import pytest

from leadrelay.delivery.domain.targets import (
    TargetRefused,
    check_addresses,
    check_url,
    parse_networks,
    refusal,
)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "link-local"),  # the cloud metadata endpoint
        ("fe80::1", "link-local"),
        ("fd00::1", "private"),
        ("0.0.0.0", "reserved"),
        ("224.0.0.1", "multicast"),
    ],
)
def test_inner_addresses_are_refused(address, kind):
    reason = refusal(ip_address(address), [])
    assert reason is not None and kind in reason and "LEADRELAY_DELIVERY_ALLOWED_TARGETS" in reason


def test_public_addresses_are_called():
    assert refusal(ip_address("93.184.216.34"), []) is None
    assert refusal(ip_address("2606:2800:220:1:248:1893:25c8:1946"), []) is None


def test_an_allow_listed_network_may_be_called():
    allowed = parse_networks(["127.0.0.1", "10.0.0.0/8", "fd00::/8"])
    assert refusal(ip_address("127.0.0.1"), allowed) is None
    assert refusal(ip_address("10.200.0.1"), allowed) is None
    assert refusal(ip_address("fd00::1"), allowed) is None
    assert refusal(ip_address("127.0.0.2"), allowed) is not None


def test_one_inner_address_among_public_ones_refuses_the_host():
    with pytest.raises(TargetRefused, match="loopback"):
        check_addresses(["93.184.216.34", "127.0.0.1"], [])
    with pytest.raises(TargetRefused, match="does not resolve"):
        check_addresses([], [])


def test_a_typo_in_the_allow_list_is_named():
    with pytest.raises(ValueError, match=re.escape("'10.0.0.0/33' is not a network")):
        parse_networks(["10.0.0.0/33"])


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/hook", "http or https"),
        ("https://user:pw@example.com/hook", "credentials"),
        ("https:///hook", "no host"),
        ("https://example.com:99999/hook", "port"),
    ],
)
def test_urls_that_are_not_plain_http_are_refused(url, reason):
    with pytest.raises(TargetRefused, match=reason):
        check_url(url)


def test_a_url_gives_its_host_and_port():
    assert check_url("https://hooks.example.com/x") == ("hooks.example.com", 443)
    assert check_url("http://127.0.0.1:8080/x") == ("127.0.0.1", 8080)
