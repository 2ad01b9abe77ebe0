"""The centre keeps webhook endpoints in the admin: validated, secret shown once and stored
encrypted, every change audited; dead messages are retried from the outbox's admin."""

from __future__ import annotations

from collections import Counter

import pytest
from django.test import Client

from wangban.accounts.models import User
from wangban.audit.models import AuditEvent
from wangban.core.errors import InvalidInput
from wangban.notify.actions import save_webhook_endpoint
from wangban.notify.delivery import deliver_due
from wangban.notify.models import URL_MESSAGE, WebhookEndpoint
from wangban.notify.tests.helpers import SECRET, make_endpoint, publish, sign_in

pytestmark = pytest.mark.django_db

BASE = "/admin/notify/webhookendpoint/"


@pytest.fixture
def root() -> User:
    return User.objects.create_superuser("root", password="a-good-long-password-9")


@pytest.fixture
def admin_client(root: User) -> Client:
    return sign_in(Client(), root)


def form(url: str, **extra: object) -> dict[str, object]:
    return {
        "name": "省政务服务平台",
        "url": url,
        "event_types": ["item.published", "item.adjusted"],
        "active": "on",
        "secret": "",
        **extra,
    }


def test_adding_shows_a_generated_secret_once_and_stores_it_encrypted(
    admin_client: Client, root: User
) -> None:
    response = admin_client.post(f"{BASE}add/", form("https://zwfw.example.gov.cn/hooks"))

    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    secret = endpoint.secret
    assert secret.startswith("whsec_")
    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert endpoint.secret_encrypted.startswith("sm4gcm:")
    assert secret not in endpoint.secret_encrypted
    assert secret.removeprefix("whsec_") not in endpoint.secret_encrypted
    assert endpoint.event_types == ["item.adjusted", "item.published"]
    event = AuditEvent.objects.get(action="webhook.create")
    assert (event.actor_id, event.object_type, event.object_id) == (
        root.pk,
        "notify.webhookendpoint",
        str(endpoint.pk),
    )
    assert event.after == {
        "name": "省政务服务平台",
        "url": "https://zwfw.example.gov.cn/hooks",
        "event_types": ["item.adjusted", "item.published"],
        "active": True,
    }
    page = admin_client.get(f"{BASE}{endpoint.pk}/change/").content.decode()
    assert secret not in page  # never shown again


def test_a_secret_given_by_the_receiver_is_kept_and_not_shown(admin_client: Client) -> None:
    response = admin_client.post(f"{BASE}add/", form("https://a.example.cn/h", secret=SECRET))

    assert response.status_code == 302
    assert WebhookEndpoint.objects.get().secret == SECRET


@pytest.mark.parametrize(
    "url",
    ["ftp://files.example.cn/hooks", "file:///etc/passwd", "javascript:alert(1)", "不是网址"],
)
def test_urls_other_than_http_and_https_are_refused(admin_client: Client, url: str) -> None:
    response = admin_client.post(f"{BASE}add/", form(url))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["url"] == [URL_MESSAGE]
    assert WebhookEndpoint.objects.count() == 0
    assert AuditEvent.objects.filter(action="webhook.create").count() == 0


def test_the_action_refuses_a_bad_url_secret_or_event_type() -> None:
    with pytest.raises(InvalidInput) as refused:
        make_endpoint("ftp://files.example.cn/hooks")
    assert refused.value.fields == {"url": [URL_MESSAGE]}

    endpoint = WebhookEndpoint(name="x", url="https://a.example.cn/", event_types=["item.x"])
    with pytest.raises(InvalidInput) as refused:
        save_webhook_endpoint(endpoint, actor=None)
    assert refused.value.fields == {"event_types": ["未知的事件类型：item.x"]}

    endpoint.event_types = ["item.published"]
    with pytest.raises(InvalidInput) as refused:
        save_webhook_endpoint(endpoint, actor=None, secret="whsec_dG9vIHNob3J0")
    assert refused.value.fields == {
        "secret": ["签名密钥须为 whsec_ 加 Base64 编码的 24 至 64 字节随机数。"]
    }
    assert WebhookEndpoint.objects.count() == 0


def test_changing_and_deleting_are_audited_and_the_secret_kept(
    admin_client: Client, root: User
) -> None:
    endpoint = make_endpoint("https://old.example.cn/hooks")

    response = admin_client.post(
        f"{BASE}{endpoint.pk}/change/",
        form("https://new.example.cn/hooks", name=endpoint.name, event_types=["item.published"]),
    )

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.secret) == ("https://new.example.cn/hooks", SECRET)
    update = AuditEvent.objects.get(action="webhook.update")
    assert update.actor_id == root.pk
    assert update.before == {"url": "https://old.example.cn/hooks"}
    assert update.after == {"url": "https://new.example.cn/hooks"}

    response = admin_client.post(f"{BASE}{endpoint.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert WebhookEndpoint.objects.count() == 0
    deleted = AuditEvent.objects.get(action="webhook.delete")
    assert (deleted.actor_id, deleted.object_id) == (root.pk, str(endpoint.pk))
    assert deleted.before == {
        "name": "市交通运输局门户网站",
        "url": "https://new.example.cn/hooks",
        "event_types": ["item.published"],
        "active": True,
    }


def test_rotating_the_secret_shows_the_new_one_once(admin_client: Client) -> None:
    endpoint = make_endpoint("https://a.example.cn/hooks")

    response = admin_client.post(
        BASE, {"action": "rotate_secret", "_selected_action": [endpoint.pk]}
    )

    endpoint.refresh_from_db()
    assert endpoint.secret != SECRET
    assert endpoint.secret in response.content.decode()
    update = AuditEvent.objects.get(action="webhook.update")
    assert (update.before, update.after) == ({"secret": "（原密钥）"}, {"secret": "（已更换）"})


def test_dead_messages_are_listed_with_a_warning_and_retried_by_the_action(
    admin_client: Client, root: User, receiver
) -> None:
    endpoint = make_endpoint(receiver.url)
    [dead] = publish(key="item-change:1")
    endpoint.active = False
    save_webhook_endpoint(endpoint, actor=root)
    assert deliver_due() == Counter({"dead": 1})
    endpoint.active = True
    save_webhook_endpoint(endpoint, actor=root)
    [sent] = publish(key="item-change:2")
    assert deliver_due() == Counter({"sent": 1})

    page = admin_client.get("/admin/notify/message/")
    assert "有 1 条消息投递失败，已停止重试，请处理。" in page.content.decode()
    found = admin_client.get("/admin/notify/message/", {"q": dead.webhook_id})
    assert list(found.context["cl"].result_list) == [dead]
    nothing = admin_client.get("/admin/notify/message/", {"q": "msg_x"})
    assert list(nothing.context["cl"].result_list) == []
    assert admin_client.get(f"/admin/notify/message/{dead.pk}/change/").status_code == 200

    response = admin_client.post(
        "/admin/notify/message/", {"action": "retry", "_selected_action": [dead.pk, sent.pk]}
    )

    assert response.status_code == 302
    assert list(AuditEvent.objects.filter(action="message.retry").values_list("object_id")) == [
        (str(dead.pk),)
    ]
    assert deliver_due() == Counter({"sent": 1})
    assert receiver.ids == [sent.webhook_id, dead.webhook_id]


def test_the_outbox_admin_is_read_only(admin_client: Client, receiver) -> None:
    make_endpoint(receiver.url)
    [message] = publish()

    assert admin_client.get("/admin/notify/message/add/").status_code == 403
    assert admin_client.get(f"/admin/notify/message/{message.pk}/delete/").status_code == 403
    response = admin_client.post(f"/admin/notify/message/{message.pk}/change/", {"state": "sent"})
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.state == "pending"
