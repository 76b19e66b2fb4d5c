"""Issue 8, a newcomer's trips: another port, an emulator that cannot be reached, a used dev:
code, and reading the emulator's SMS codes and pushed messages without scraping its page."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from devapp import create_app
from app.extensions import db
from tests import conftest
from tests.wechat_fixtures import *  # noqa: F401,F403
from wechat.emulator.core import key, store

ROOT = Path(__file__).resolve().parent.parent


def test_make_run_on_another_port_points_everything_at_it():
    """Does `make run PORT=5101` serve there, point the WeChat client at the emulator on 5101 and
    print 5101 URLs — with no 5000 left anywhere?"""
    plan = subprocess.run(["make", "-n", "run", "PORT=5101", "HOST=127.0.0.1"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=True).stdout
    assert "--port 5101" in plan
    assert "WQ_WECHAT__API_BASE:-http://127.0.0.1:5101/_emulator" in plan
    assert "demo-data --base-url http://127.0.0.1:5101" in plan
    assert "5000" not in plan


def test_demo_data_prints_the_served_urls(runner, dicts):
    printed = runner.invoke(args=["demo-data", "--students", "5", "--base-url", "http://127.0.0.1:5101"])
    assert printed.exit_code == 0, printed.output
    assert "http://127.0.0.1:5101/_emulator/" in printed.output and "5000" not in printed.output


@pytest.fixture
def unreachable_emulator_app(app):
    """A development app whose emulator base points at a closed port (a wrong PORT)."""
    config = conftest.test_config(app.config["DATABASE_URL"])
    other = create_app(config | {"WECHAT": {"EMULATOR": True, "API_BASE": "http://127.0.0.1:9/_emulator"}})
    yield other
    with other.app_context():
        db.engine.dispose()


def test_an_unreachable_emulator_says_so_in_development(unreachable_emulator_app, redis_client):
    """Does the 503 name the emulator address it tried and how to fix it, not just "WeChat is down"?"""
    client = unreachable_emulator_app.test_client()
    answer = client.post("/api/v1/auth/wxa-login", json={"code": "dev:mp-new"})
    assert answer.status_code == 503
    message = answer.get_json()["error"]["message"]
    assert "微信模拟器" in message and "http://127.0.0.1:9/_emulator" in message and "PORT" in message


def test_a_used_dev_code_says_to_pick_a_new_one(wx):
    """Is the second use of a dev: code explained (dev codes are single-use) with a fresh one to
    use, and does that fresh code log the same user in?"""
    first = wx.post("/api/v1/auth/wxa-login", json={"code": "dev:mp-newcomer"})
    again = wx.post("/api/v1/auth/wxa-login", json={"code": "dev:mp-newcomer"})
    assert first.status_code == 200 and again.status_code == 400
    error = again.get_json()["error"]
    assert error["code"] == "WX_CODE_USED" and "只能使用一次" in error["message"]
    assert "dev:mp-newcomer:2" in error["message"]
    fresh = wx.post("/api/v1/auth/wxa-login", json={"code": "dev:mp-newcomer:2"})
    assert fresh.status_code == 200
    store().delete(key("used", "jscode", "dev:mp-newcomer"), key("used", "jscode", "dev:mp-newcomer:2"))


def test_sms_codes_of_a_user_as_json(wx, world):
    """Can a script read the binding code sent to a student, by phone or by the WeChat user
    binding, as JSON?"""
    token = wx.post("/api/v1/auth/wxa-login", json={"code": "dev:mp-json-sms"}).get_json()["token"]
    student = world.student
    asked = wx.post("/api/v1/auth/bind/student", headers={"Authorization": f"Bearer {token}"}, json={
        "school_code": world.school.code, "student_no": student.student_no, "name": student.name,
        "id_number": student.id_number})
    assert asked.status_code == 200, asked.get_json()
    by_phone = wx.get(f"/_emulator/api/sms?phone={student.phone}").get_json()["items"]
    by_user = wx.get("/_emulator/api/sms?openid=mp-json-sms").get_json()["items"]
    assert len(by_phone) == 1 and by_phone == by_user
    assert by_phone[0]["phone"] == asked.get_json()["phone_masked"] and len(by_phone[0]["code"]) == 6
    assert wx.get(f"/_emulator/api/sms?phone={world.student2.phone}").get_json()["items"] == []
    assert wx.get("/_emulator/api/sms?openid=mp-nobody").get_json()["items"] == []
    confirmed = wx.post("/api/v1/auth/bind/student/confirm", headers={"Authorization": f"Bearer {token}"},
                         json={"sms_code": by_user[0]["code"], "email": "a@stu.example.edu.cn",
                               "address": "长沙市岳麓区麓山南路2号"})
    assert confirmed.status_code == 200, confirmed.get_json()
    store().delete(key("used", "jscode", "dev:mp-json-sms"))


def test_pushed_messages_of_a_user_as_json(emu, redis_client):
    """Are the messages pushed to one user listed as JSON, and only theirs?"""
    from wechat.emulator.messages import _record

    _record("template", "wxapp", {"touser": "oa-reader", "template_id": "t1",
                                  "data": {"thing1": {"value": "新的签约邀请"}}})
    _record("subscribe", "wxapp", {"touser": "mp-other", "template_id": "t2",
                                   "data": {"thing1": {"value": "别人的"}}})
    mine = emu.get("/_emulator/api/messages?openid=oa-reader").get_json()["items"]
    assert [m["data"]["thing1"]["value"] for m in mine] == ["新的签约邀请"]
    assert len(emu.get("/_emulator/api/messages").get_json()["items"]) == 2
    assert emu.get("/_emulator/api/messages?kind=subscribe").get_json()["items"][0]["touser"] == "mp-other"
    assert emu.get("/_emulator/api/messages?openid=bad%20id").status_code == 400
