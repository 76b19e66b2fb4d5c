"""WeChat pushes through the live emulator (real wechatpy HTTP): who gets what, once, and when.

Real commits (the push follows the event's commit); jobs run inline right after it, as in the
embedded default. Time moves with time_machine, never by sleeping.
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
import time_machine
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import func, select

from app.clock import to_china, utcnow
from app.extensions import db, redis_ext
from app.jobs import delivery as delivery_job
from app.models import (Delivery, DeliveryStatus, Notification, OutboxMessage, OutboxStatus,
                        RecipientType, SubscribeGrant, WechatApp, WechatIdentity)
from app.services import delivery as delivery_service
from app.services import outbox as outbox_service
from app.services.notify import notify
from tests.api_helpers import ApiClient, terms_json
from tests.conftest import World
from tests.wechat_fixtures import *  # noqa: F401,F403
from wechat import messages
from wechat.emulator import calls, sent_messages
from wechat.emulator.core import unionid_for
from wechat.emulator.messages import FIELD_LIMITS
from wechat.emulator.users import set_following

pytestmark = pytest.mark.committing

STUDENT_PAGE = "pages/student/invitation/detail?id={}"


class Env:
    """The live emulator app's context on a committed world, with helpers."""

    def __init__(self, app) -> None:
        self.app = app
        self.settings = app.config["WECHAT"]
        self.world = World()
        db.session.commit()
        self.http = app.test_client()

    # -- WeChat identities -------------------------------------------------------------------

    def official(self, account, openid: str, follows: bool = True) -> WechatIdentity:
        identity = WechatIdentity(
            app=WechatApp.OFFICIAL, appid=self.settings["OFFICIAL"]["APPID"], openid=openid,
            unionid=unionid_for(openid), account_id=account.id if account else None,
            follows=follows, bound_at=utcnow())
        db.session.add(identity)
        db.session.commit()
        return identity

    def mini(self, account, openid: str) -> WechatIdentity:
        identity = WechatIdentity(
            app=WechatApp.MINIPROGRAM, appid=self.settings["MINIPROGRAM"]["APPID"], openid=openid,
            unionid=unionid_for(openid), account_id=account.id, bound_at=utcnow())
        db.session.add(identity)
        db.session.commit()
        return identity

    # -- actions -----------------------------------------------------------------------------

    def invite(self, student=None, hr=None) -> int:
        hr = ApiClient(self.http, hr or self.world.hr)
        student = student or self.world.student
        sent = hr.post("/employer/invitations", {"student_ids": [student.id], "terms": terms_json()})
        assert sent.status_code == 200 and sent.get_json()["sent"] == 1, sent.get_json()
        return sent.get_json()["results"][0]["invitation_id"]

    def remind(self, invitation_id: int) -> Notification:
        """An expiry reminder (low priority) for the world's student."""
        n = notify(RecipientType.STUDENT, self.world.student.id, "invitation_expiring",
                   dedupe=f"test{invitation_id}", invitation_id=invitation_id,
                   employer_name=self.world.employer.name, position="软件工程师",
                   deadline="2026/07/15")
        db.session.commit()
        return n

    def control(self, path: str, body: dict) -> None:
        response = self.http.post(f"/_emulator/control/{path}", json=body)
        assert response.status_code == 200, response.get_data(as_text=True)

    # -- state -------------------------------------------------------------------------------

    def outbox(self, event: str = "invitation_received", recipient=RecipientType.STUDENT
               ) -> OutboxMessage:
        db.session.rollback()  # a new snapshot: jobs commit in their own sessions
        return db.session.scalars(select(OutboxMessage).join(Notification).where(
            Notification.event == event, Notification.recipient_type == recipient)
            .order_by(OutboxMessage.id.desc())).first()

    def deliveries(self, outbox_id: int | None = None) -> list[Delivery]:
        db.session.rollback()
        stmt = select(Delivery).order_by(Delivery.id)
        if outbox_id is not None:
            stmt = stmt.where(Delivery.outbox_id == outbox_id)
        return list(db.session.scalars(stmt))


@pytest.fixture
def env(committing_db, live) -> Env:
    return Env(live)


def relay_at(moment: datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return outbox_service.relay_due()


# -- the template message ---------------------------------------------------------------------


def test_following_student_gets_one_template_message_that_opens_the_invitation(env):
    """After an employer invites a bound student who follows the account, does exactly one
    template message arrive whose mini-program link opens that very invitation?"""
    env.official(env.world.student_account, "oa-zhangsan")
    inv_id = env.invite()

    sent = sent_messages(touser="oa-zhangsan")
    assert len(sent) == 1
    message = sent[0]
    assert message["kind"] == "template" and message["template_id"] == "TPL_INVITATION_RECEIVED"
    assert message["miniprogram"] == {"appid": env.settings["MINIPROGRAM"]["APPID"],
                                      "pagepath": STUDENT_PAGE.format(inv_id)}
    assert "first" not in message["data"] and "remark" not in message["data"]
    assert message["data"]["thing1"]["value"] == env.world.employer.name
    assert message["data"]["thing2"]["value"] == "软件工程师"
    assert message["data"]["time3"]["value"].endswith("23:59")

    outbox = env.outbox()
    assert outbox.status == OutboxStatus.SENT and outbox.channel == "template"
    [delivery] = env.deliveries(outbox.id)
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1
    assert delivery.msgid == str(message["msgid"]) and delivery.sent_at is not None
    assert delivery.client_msg_id == delivery_service.client_msg_id(outbox.id, "oa-zhangsan", "template")


def test_unbound_student_is_skipped_and_the_inbox_still_has_it(env):
    """Does a student with no WeChat identity get nothing pushed, but the notification in the inbox?"""
    env.invite()
    outbox = env.outbox()
    assert outbox.status == OutboxStatus.SKIPPED and "站内信" in outbox.last_error
    assert env.deliveries() == [] and calls("template_send") == 0
    inbox = db.session.scalars(select(Notification).where(
        Notification.recipient_type == RecipientType.STUDENT,
        Notification.recipient_id == env.world.student.id)).all()
    assert [n.event for n in inbox] == ["invitation_received"]


def test_every_following_employer_user_hears_of_an_acceptance(env):
    """When the student accepts, does each following user of the employer get the message that
    opens the employer's invitation page, and a non-following one nothing?"""
    env.official(env.world.hr, "oa-hr-one")
    env.official(env.world.hr2, "oa-hr-two")
    inv_id = env.invite()
    student = ApiClient(env.http, env.world.student_account)
    accepted = student.post(f"/student/invitations/{inv_id}/accept", {"revision": 1, "confirm": True})
    assert accepted.status_code == 200, accepted.get_json()

    for openid in ("oa-hr-one", "oa-hr-two"):
        [message] = sent_messages(touser=openid)
        assert message["template_id"] == "TPL_INVITATION_ACCEPTED"
        assert message["miniprogram"]["pagepath"] == f"pages/employer/invitation/detail?id={inv_id}"
        assert message["data"]["name1"]["value"] == env.world.student.name
    outbox = env.outbox("invitation_accepted", RecipientType.EMPLOYER)
    assert outbox.status == OutboxStatus.SENT
    assert len(env.deliveries(outbox.id)) == 2


def test_unionid_leads_a_miniprogram_user_to_the_account_they_follow(env):
    """Is a student bound through the mini-program only, who follows the official account with
    the same WeChat user (unionid), reached by a template message on the official openid?"""
    env.mini(env.world.student_account, "mp-wangwu")
    env.official(None, "oa-wangwu")  # followed, never bound: known from the callback only
    env.invite()
    assert len(sent_messages(touser="oa-wangwu", kind="template")) == 1
    assert sent_messages(touser="mp-wangwu") == []


def test_miniprogram_user_with_a_grant_gets_a_subscribe_message_once(env):
    """Does a user who only has the mini-program, and tapped 允许 once, get one subscribe message
    that opens the invitation — and the next invitation only in the inbox?"""
    mini = env.mini(env.world.student_account, "mp-lisi")
    grant = SubscribeGrant(identity_id=mini.id, template_id="SUB_INVITATION_RECEIVED", remaining=1)
    db.session.add(grant)
    db.session.commit()

    inv_id = env.invite()
    [message] = sent_messages(touser="mp-lisi")
    assert message["kind"] == "subscribe" and message["template_id"] == "SUB_INVITATION_RECEIVED"
    assert message["page"] == STUDENT_PAGE.format(inv_id)
    db.session.rollback()
    assert db.session.get(SubscribeGrant, grant.id).remaining == 0
    assert env.outbox().channel == "subscribe"

    env.invite(hr=env.world.other_hr)
    assert len(sent_messages(touser="mp-lisi")) == 1
    assert env.outbox().status == OutboxStatus.SKIPPED


# -- WeChat's errors --------------------------------------------------------------------------


def test_rejected_token_is_refreshed_once_and_the_message_delivered(env):
    """When WeChat answers 40001 once, is the token refreshed and the message sent in one attempt?"""
    env.official(env.world.student_account, "oa-token")
    from wechat.clients import official_client

    old = official_client().access_token
    env.control("fail", {"api": "template_send", "errcode": 40001, "times": 1})
    env.invite()
    assert calls("template_send") == 2  # the 40001 and the one retry
    assert official_client().session.get(official_client().access_token_key) != old
    assert len(sent_messages(touser="oa-token")) == 1
    [delivery] = env.deliveries()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1


def test_quota_error_backs_off_and_is_delivered_later(env):
    """After 45009, does an invitation wait (backoff) instead of failing, then go out once?"""
    env.official(env.world.student_account, "oa-quota")
    env.control("fail", {"api": "template_send", "errcode": 45009, "times": 1})
    env.invite()
    [delivery] = env.deliveries()
    assert delivery.status == DeliveryStatus.DEFERRED and delivery.errcode == 45009
    now = utcnow()
    assert now + timedelta(seconds=20) < delivery.next_attempt_at <= now + timedelta(seconds=31)
    assert env.outbox().next_attempt_at == delivery.next_attempt_at
    assert outbox_service.relay_due() == 0  # not yet due
    assert sent_messages(touser="oa-quota") == []

    assert relay_at(delivery.next_attempt_at + timedelta(seconds=1)) == 1
    assert len(sent_messages(touser="oa-quota")) == 1
    [delivery] = env.deliveries()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2
    assert env.outbox().status == OutboxStatus.SENT


def test_reminder_hit_by_quota_waits_for_the_next_morning(env):
    """Does a reminder answered 45009 move to 00:05 Shanghai time the next day, and go then?"""
    env.official(env.world.student_account, "oa-remind")
    env.control("fail", {"api": "template_send", "errcode": 45009, "times": 1})
    env.remind(41)
    [delivery] = env.deliveries()
    assert delivery.status == DeliveryStatus.DEFERRED
    due = to_china(delivery.next_attempt_at)
    assert (due.date(), due.hour, due.minute) == (to_china(utcnow()).date() + timedelta(days=1), 0, 5)

    assert relay_at(delivery.next_attempt_at - timedelta(minutes=1)) == 0
    assert relay_at(delivery.next_attempt_at + timedelta(seconds=1)) == 1
    [message] = sent_messages(touser="oa-remind")
    assert message["template_id"] == "TPL_INVITATION_EXPIRING"
    assert message["miniprogram"]["pagepath"] == STUDENT_PAGE.format(41)


def test_spent_daily_quota_holds_reminders_but_still_tries_invitations(env, monkeypatch):
    """With today's quota used up, do reminders wait for tomorrow without calling WeChat, while
    an invitation is still attempted (and backs off on WeChat's 45009)?"""
    monkeypatch.setitem(env.settings, "MESSAGE_DAILY_QUOTA", 1)
    env.official(env.world.student_account, "oa-daily")
    env.invite()  # the day's one message
    assert delivery_service.quota_used() == 1 and delivery_service.quota_exhausted()

    env.remind(7)
    reminder = env.outbox("invitation_expiring")
    [held] = env.deliveries(reminder.id)
    assert held.status == DeliveryStatus.DEFERRED and held.attempts == 0
    assert held.errmsg == delivery_service.QUOTA_HELD and calls("template_send") == 1
    assert to_china(held.next_attempt_at).hour == 0

    env.invite(hr=env.world.other_hr)
    second = env.outbox()
    [tried] = env.deliveries(second.id)
    assert calls("template_send") == 2 and tried.errcode == 45009
    assert tried.status == DeliveryStatus.DEFERRED and tried.next_attempt_at < held.next_attempt_at

    monkeypatch.setitem(env.settings, "MESSAGE_DAILY_QUOTA", 100)
    assert relay_at(held.next_attempt_at + timedelta(seconds=1)) == 2
    assert len(sent_messages(touser="oa-daily")) == 3


def test_not_following_is_recorded_as_failed_and_shown_to_admins(env):
    """When WeChat answers 43004 (the user unfollowed and we missed it), is the delivery failed
    with its errcode, never retried, and listed for platform admins?"""
    identity = env.official(env.world.student_account, "oa-gone")
    set_following("oa-gone", False)
    env.invite()
    [delivery] = env.deliveries()
    assert delivery.status == DeliveryStatus.FAILED and delivery.errcode == 43004
    outbox = env.outbox()
    assert outbox.status == OutboxStatus.FAILED and outbox.last_error.startswith("43004")
    assert db.session.get(WechatIdentity, identity.id).follows is False
    assert relay_at(utcnow() + timedelta(days=2)) == 0
    assert calls("template_send") == 1

    admin = ApiClient(env.http, env.world.admin)
    listing = admin.get("/admin/deliveries?status=failed")
    assert listing.status_code == 200, listing.get_json()
    body = listing.get_json()
    [item] = body["items"]
    assert item["errcode"] == 43004 and item["event"] == "invitation_received"
    assert item["status"] == "failed" and item["openid"] != "oa-gone"  # masked
    assert body["counts"]["failed"] == 1 and body["outbox_counts"]["failed"] == 1
    assert body["failures"][0]["errcode"] == 43004 and body["failures"][0]["count"] == 1


def test_retryable_failures_give_up_after_the_last_attempt(env):
    """Does a message WeChat keeps answering -1 get retried with growing waits, then fail for good?"""
    env.official(env.world.student_account, "oa-busy")
    env.control("fail", {"api": "template_send", "errcode": -1, "times": 100})
    env.invite()
    waits = []
    for _ in range(20):
        outbox = env.outbox()
        if outbox.status != OutboxStatus.PENDING:
            break
        [delivery] = env.deliveries()
        waits.append(delivery.next_attempt_at - delivery.created_at)
        relay_at(outbox.next_attempt_at + timedelta(seconds=1))
    [delivery] = env.deliveries()
    assert delivery.status == DeliveryStatus.FAILED and delivery.errcode == -1
    assert delivery.attempts == calls("template_send") == 8
    assert env.outbox().status == OutboxStatus.FAILED
    assert waits == sorted(waits) and len(waits) == 7


def test_unreachable_wechat_defers_without_breaking_the_request(env, monkeypatch):
    """With WeChat unreachable, does the invitation still succeed and its push wait for a retry?"""
    from wechat.clients import reset_clients

    env.official(env.world.student_account, "oa-offline")
    monkeypatch.setitem(env.settings, "API_BASE", "http://127.0.0.1:9/_emulator")
    monkeypatch.setitem(env.settings, "HTTP_TIMEOUT", 0.5)
    reset_clients()
    env.invite()
    [delivery] = env.deliveries()
    assert delivery.status == DeliveryStatus.DEFERRED and delivery.errcode is None
    monkeypatch.undo()
    reset_clients()
    assert relay_at(delivery.next_attempt_at + timedelta(seconds=1)) == 1
    assert len(sent_messages(touser="oa-offline")) == 1


# -- never lost, never doubled ----------------------------------------------------------------


def test_relaying_and_delivering_again_never_sends_twice(env):
    """Once delivered, do more relay runs and repeated jobs send nothing more?"""
    env.official(env.world.student_account, "oa-once")
    env.invite()
    outbox = env.outbox()
    for _ in range(2):
        assert outbox_service.relay_due() == 0
        assert relay_at(utcnow() + timedelta(hours=1)) == 0
        assert delivery_job.deliver(outbox.id) == "done"
    assert len(sent_messages(touser="oa-once")) == 1 and len(env.deliveries()) == 1


def test_two_relays_lease_a_due_row_once(env, monkeypatch):
    """Do two relay runs racing for the same due row enqueue it once?"""
    monkeypatch.setitem(env.app.config["DELIVERY"], "ON_COMMIT", False)
    env.official(env.world.student_account, "oa-race")
    env.invite()
    assert env.outbox().status == OutboxStatus.PENDING and calls("template_send") == 0
    first, second = outbox_service.claim_due(), outbox_service.claim_due()
    assert len(first) == 1 and second == []
    outbox_service.enqueue(first)
    assert len(sent_messages(touser="oa-race")) == 1


def test_lost_queue_after_a_redis_restart_is_refilled_by_the_relay(env, monkeypatch):
    """If Redis is down when the invitation commits and then restarts empty, does the relay's
    next run deliver the message exactly once — not only after the 300 s lease (the failed
    enqueue gave the lease back) — and did the invitation itself succeed?"""
    env.official(env.world.student_account, "oa-restart")

    def redis_down(rows):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(outbox_service, "enqueue", redis_down)
    env.invite()  # answered 200: the push is not the user's problem
    monkeypatch.undo()
    outbox = env.outbox()
    assert outbox.status == OutboxStatus.PENDING and sent_messages(touser="oa-restart") == []

    assert outbox.next_attempt_at <= utcnow()  # due at once, no lease held by a job that never ran
    redis_ext.client.flushdb()  # the restart: queues, tokens and counters are gone
    assert outbox_service.relay_due() == 1
    assert outbox_service.relay_due() == 0
    assert relay_at(utcnow() + timedelta(seconds=301)) == 0
    assert len(sent_messages(touser="oa-restart")) == 1
    assert env.outbox().status == OutboxStatus.SENT


class Killed(BaseException):
    """The worker dies here (SIGKILL, OOM): nothing after this line of the job runs."""


def test_worker_dying_after_its_claim_is_retried_once_with_the_same_client_msg_id(env, caplog,
                                                                                   monkeypatch):
    """If the worker dies after committing its claim but before WeChat answered, does the relay
    hand the delivery to another run when the lease passes, which sends it exactly once?"""
    env.official(env.world.student_account, "oa-crash")

    def die(*_args):
        raise Killed()

    monkeypatch.setattr(delivery_service, "send_one", die)
    env.invite()
    monkeypatch.undo()
    assert any("inline delivery of outbox" in r.getMessage() for r in caplog.records)
    [claimed] = env.deliveries()
    assert claimed.status == DeliveryStatus.PENDING and claimed.attempts == 1
    assert sent_messages(touser="oa-crash") == []
    assert relay_at(utcnow() + timedelta(seconds=30)) == 0  # the lease still holds

    assert relay_at(claimed.next_attempt_at + timedelta(seconds=1)) == 1
    [delivery] = env.deliveries()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2
    assert delivery.client_msg_id == claimed.client_msg_id
    assert len(sent_messages(touser="oa-crash")) == 1


@pytest.mark.mysql
def test_concurrent_jobs_for_one_row_send_once(env, monkeypatch):
    """Do eight workers running the same outbox row at the same moment send one message?"""
    monkeypatch.setitem(env.app.config["DELIVERY"], "ON_COMMIT", False)
    env.official(env.world.student_account, "oa-herd")
    env.invite()
    outbox_id = env.outbox().id
    db.session.rollback()
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def work() -> None:
        with env.app.app_context():
            barrier.wait()
            try:
                delivery_job.deliver(outbox_id)
            except BaseException as exc:  # noqa: BLE001 — reported below
                errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert len(sent_messages(touser="oa-herd")) == 1
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 1


# -- admins and the CLI -----------------------------------------------------------------------


def test_admin_list_pages_filters_and_refuses_others(env):
    """Can a platform admin page through deliveries and filter them, while others get 403/401?"""
    env.official(env.world.student_account, "oa-page-1")
    env.official(env.world.student2_account, "oa-page-2")
    env.invite()
    env.invite(student=env.world.student2)
    admin = ApiClient(env.http, env.world.admin)

    first = admin.get("/admin/deliveries?limit=1").get_json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = admin.get(f"/admin/deliveries?limit=1&cursor={first['next_cursor']}").get_json()
    assert second["items"][0]["id"] < first["items"][0]["id"] and second["next_cursor"] is None
    assert first["counts"]["sent"] == 2 and first["outbox_counts"]["sent"] == 2
    assert admin.get("/admin/deliveries?event=invitation_accepted").get_json()["items"] == []
    today = to_china(utcnow()).date()
    ranged = admin.get(f"/admin/deliveries?date_from={today}&date_to={today}").get_json()
    assert len(ranged["items"]) == 2
    later = admin.get(f"/admin/deliveries?date_from={today + timedelta(days=1)}").get_json()
    assert later["items"] == []
    bad = admin.get(f"/admin/deliveries?date_from={today}&date_to={today - timedelta(days=1)}")
    assert bad.status_code == 400
    assert admin.get("/admin/deliveries?event=nope").status_code == 400
    assert admin.get("/admin/deliveries?date_to=9999-12-31").status_code == 400
    huge = "MTE4MDU5MTYyMDcxNzQxMTMwMzQyNA"  # 2**70: beyond any id column
    assert admin.get(f"/admin/deliveries?cursor={huge}").get_json()["error"]["code"] == "BAD_CURSOR"

    assert ApiClient(env.http, env.world.hr).get("/admin/deliveries").status_code == 403
    assert ApiClient(env.http, env.world.school_reviewer).get("/admin/deliveries").status_code == 403
    assert env.http.get("/api/v1/admin/deliveries").status_code == 401


def test_cli_relays_and_reports(env, monkeypatch):
    """Do `flask relay-outbox` and `flask delivery-stats` relay what is due and show the counts?"""
    monkeypatch.setitem(env.app.config["DELIVERY"], "ON_COMMIT", False)
    env.official(env.world.student_account, "oa-cli")
    env.invite()
    runner = env.app.test_cli_runner()
    relayed = runner.invoke(args=["relay-outbox"])
    assert relayed.exit_code == 0 and "已入队 1 条" in relayed.output
    assert len(sent_messages(touser="oa-cli")) == 1
    stats = runner.invoke(args=["delivery-stats"])
    assert stats.exit_code == 0, stats.output
    assert "sent 1" in stats.output and "今日模板消息：1 / 100000" in stats.output


# -- rendering (no WeChat, no database) -------------------------------------------------------


class FakeNotification:
    def __init__(self, event: str, data: dict, page: str | None = "pages/x?id=1") -> None:
        self.event, self.data, self.page = event, data, page
        self.title, self.body = "标题", "正文"
        self.created_at = datetime(2026, 6, 1, 2, 30)


LONG = {"employer_name": "湖南省长沙市岳麓区麓谷大道星辰软件科技有限公司第一分公司",
        "student_name": "欧阳纳兰容若司马相如", "position": "高级软件工程师（后端、分布式系统方向）",
        "remark": "材料不全，" * 10, "agreement_no": "A" * 40, "requester": "很长的名字" * 6,
        "counterpart": "对方" * 20, "deadline": "2026/07/15"}


@pytest.mark.parametrize("event", sorted(messages.DEFAULT_TEMPLATES))
def test_every_event_renders_within_the_2023_template_rules(event):
    """Does each event's template (and subscribe) message fill every keyword within its type's
    limit, without first/remark, and link the notification's page?"""
    settings = {"TEMPLATES": {}, "MINIPROGRAM": {"APPID": "wxmini"}}
    n = FakeNotification(event, LONG)
    template = messages.template_payload(n, "oa-x", settings, client_msg_id="c" * 32)
    subscribe = messages.subscribe_payload(n, "mp-x", settings)
    assert template["miniprogram"] == {"appid": "wxmini", "pagepath": "pages/x?id=1"}
    assert subscribe["page"] == "pages/x?id=1"
    for payload in (template, subscribe):
        assert payload["data"] and not {"first", "remark"} & set(payload["data"])
        for keyword, item in payload["data"].items():
            kind = messages.keyword_type(keyword)
            assert 0 < len(item["value"]) <= FIELD_LIMITS[kind], (keyword, item["value"])


def test_keyword_values_are_trimmed_per_type_and_never_empty():
    """Are over-long values cut to WeChat's limits (thing with an ellipsis) and blanks filled?"""
    assert messages.fit("thing", "一" * 25) == "一" * 19 + "…"
    assert messages.fit("phrase", "已经同意了签约") == "已经同意了"
    assert messages.fit("name", "欧阳纳兰容若司马相如长") == "欧阳纳兰容若司马相如"
    assert messages.fit("character_string", "NO 2026 " + "9" * 40) == ("NO2026" + "9" * 40)[:32]
    assert messages.fit("thing", "  ") == "无" and messages.fit("time", "") == "-"
    with pytest.raises(ValueError):
        messages.keyword_type("first")


def test_configured_templates_override_the_defaults_per_event():
    """Does WECHAT.TEMPLATES replace one event's template id and fields and keep the rest?"""
    settings = {"TEMPLATES": {"invitation_received": {
        "template_id": "real-id", "fields": {"thing9": "{employer_name}邀请你", "const1": "网签"},
        "subscribe": {"template_id": "real-sub"}}}, "MINIPROGRAM": {"APPID": "wxmini"}}
    n = FakeNotification("invitation_received", {"employer_name": "星辰科技"}, page=None)
    payload = messages.template_payload(n, "oa-x", settings, client_msg_id="c")
    assert payload["template_id"] == "real-id" and "miniprogram" not in payload
    assert payload["data"] == {"thing9": {"value": "星辰科技邀请你"}, "const1": {"value": "网签"}}
    assert messages.template_for(settings, "invitation_received", "subscribe")["template_id"] == "real-sub"
    assert messages.template_for(settings, "review_passed", "template")["template_id"] == "TPL_REVIEW_PASSED"


def test_a_grant_recorded_by_the_mini_program_carries_the_next_invitation(env):
    """Does the 允许 a student taps in the mini-program (recorded through the API) let the next
    invitation reach them as a subscribe message that opens the letter?"""
    from app.api.auth import issue_token

    mini = env.mini(env.world.student_account, "mp-zhaoliu")
    headers = {"Authorization": f"Bearer {issue_token(env.world.student_account.id, mini.id)}"}
    asked = env.http.get("/api/v1/subscriptions/templates?moment=student_letters", headers=headers).get_json()
    assert "SUB_INVITATION_RECEIVED" in asked["template_ids"]
    recorded = env.http.post("/api/v1/subscriptions", headers=headers, json={
        "moment": "student_letters", "results": {t: "accept" for t in asked["template_ids"]}})
    assert recorded.status_code == 200, recorded.get_json()

    inv_id = env.invite()
    [message] = sent_messages(touser="mp-zhaoliu")
    assert (message["kind"], message["template_id"]) == ("subscribe", "SUB_INVITATION_RECEIVED")
    assert message["page"] == STUDENT_PAGE.format(inv_id)
