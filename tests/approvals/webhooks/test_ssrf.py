"""SSRF: a webhook URL cannot make the registry post inside the network, whichever way the address is spelled."""
import re
import socket

import pytest

from approvals import webhook_http
from approvals.services.webhook_delivery import webhook_deliveries_dispatch_pending
from approvals.services.webhooks import webhook_create
from approvals.webhook_models import DeliveryStatus, Webhook, WebhookDelivery
from models_app.exceptions import InvalidParameter

pytestmark = pytest.mark.django_db

REFUSED = [
    ("https://127.0.0.1/hook", "loopback"),
    ("https://127.9.9.9/hook", "loopback"),
    ("https://[::1]/hook", "loopback"),
    ("https://localhost/hook", "loopback"),  # a name resolving to loopback: checked after resolution
    ("https://2130706433/hook", "loopback"),  # 127.0.0.1 as one decimal number
    ("https://[::ffff:127.0.0.1]/hook", "loopback"),  # IPv4-mapped IPv6
    ("https://10.1.2.3/hook", "private"),
    ("https://172.16.0.1/hook", "private"),
    ("https://192.168.1.10/hook", "private"),
    ("https://[fd00::1]/hook", "private"),
    ("https://169.254.169.254/latest/meta-data/", "link-local (cloud metadata)"),
    ("https://[fe80::1]/hook", "link-local (cloud metadata)"),
    ("https://100.64.0.1/hook", "not publicly routable"),  # carrier-grade NAT
    ("https://0.0.0.0/hook", "unspecified"),
    ("https://224.0.0.1/hook", "multicast"),
]


@pytest.fixture(autouse=True)
def _no_allowed_hosts(settings):
    settings.REGISTRY_WEBHOOK_ALLOWED_HOSTS = []
    settings.REGISTRY_WEBHOOK_ALLOWED_SCHEMES = ["https"]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_creating_a_webhook_to_an_internal_address_is_refused(admin_user, url, reason):
    with pytest.raises(InvalidParameter, match=re.escape(f"a {reason} address")):
        webhook_create(actor=admin_user, name="x", url=url, events=["model_version.created"])
    assert not Webhook.objects.exists()


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_sending_to_an_internal_address_is_refused(url, reason):
    response = webhook_http.post(url, body=b"{}", headers={})
    assert response.refused and response.status is None and f"a {reason} address" in response.error


def test_plain_http_is_refused_by_default(admin_user):
    with pytest.raises(InvalidParameter, match="Allowed schemes are: https"):
        webhook_create(actor=admin_user, name="x", url="http://example.com/hook", events=["model_version.created"])
    for url in ("ftp://example.com/x", "file:///etc/passwd", "gopher://example.com/"):
        with pytest.raises(InvalidParameter, match="Invalid webhook URL scheme"):
            webhook_create(actor=admin_user, name="x", url=url, events=["model_version.created"])


def test_credentials_in_the_url_are_refused(admin_user):
    with pytest.raises(InvalidParameter, match="must not carry credentials"):
        webhook_create(actor=admin_user, name="x", url="https://user:pw@example.com/", events=["model_version.created"])


def test_a_host_that_turns_internal_after_creation_is_refused_at_send_time(admin_user, iris, make_version, settings,
                                                                           receiver, monkeypatch):
    """DNS rebinding: the name resolved to an allowed address when the webhook was created, then to loopback."""
    settings.REGISTRY_WEBHOOK_ALLOWED_SCHEMES = ["http"]
    settings.REGISTRY_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    webhook_create(actor=admin_user, name="x", url=receiver.url, events=["model_version.created"])
    Webhook.objects.update(url=receiver.url.replace("127.0.0.1", "rebind.example"))
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: real(
        "127.0.0.1" if host == "rebind.example" else host, *a, **k))
    make_version(iris)
    webhook_deliveries_dispatch_pending()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and "a loopback address" in delivery.last_error
    assert delivery.attempts == 1 and receiver.requests == []  # refused at once, never retried, nothing sent


def test_the_connection_goes_to_the_checked_address_and_names_the_host(settings, receiver, monkeypatch):
    """Pinned: one resolution, the connection to that address, the URL's host in the Host header."""
    settings.REGISTRY_WEBHOOK_ALLOWED_SCHEMES = ["http"]
    settings.REGISTRY_WEBHOOK_ALLOWED_HOSTS = ["hooks.example"]
    real, lookups = socket.getaddrinfo, []

    def resolve(host, *args, **kwargs):
        lookups.append(host)
        return real("127.0.0.1" if host == "hooks.example" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    response = webhook_http.post(f"http://hooks.example:{receiver.port}/hook", body=b"{}", headers={})
    assert response.status == 200 and lookups.count("hooks.example") == 1
    assert receiver.requests[0].headers["Host"] == f"hooks.example:{receiver.port}"


def test_redirects_are_not_followed(settings, receiver):
    settings.REGISTRY_WEBHOOK_ALLOWED_SCHEMES = ["http"]
    settings.REGISTRY_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    receiver.default_status = 302  # the receiver's handler sends no Location; a follower would still try again
    response = webhook_http.post(receiver.url, body=b"{}", headers={})
    assert response.status == 302 and len(receiver.requests) == 1


def test_the_allow_list_exempts_only_its_hosts(settings):
    settings.REGISTRY_WEBHOOK_ALLOWED_HOSTS = ["hooks.internal.example"]
    with pytest.raises(webhook_http.WebhookUrlRefused, match="loopback"):
        webhook_http.url_resolve("https://127.0.0.1/hook")
