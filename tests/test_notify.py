"""After a scheduled crawl: dated reports, and new/fixed findings delivered to a local receiver;
a failing receiver is retried with backoff and nothing is lost."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from monitor import notify
from monitor.config import load_config
from monitor.database import open_database, session_scope
from monitor.models import NotificationRow
from monitor.scheduler import scheduled_run
from monitor.store import utcnow
from tests.httpkit import Route, RouteServer
from tests.test_operations import TODAY, html


def test_scheduled_crawl_reports_and_notifications(tmp_path: Path) -> None:
    site_routes: dict[str, Route] = {
        "/": Route(200, html("<a href='/fixme.html'>待修复的页面</a>")),
        # deleted, and the site answers with its "页面不存在" page: the message says so
        "/fixme.html": Route(200, html("<title>页面不存在</title>")),
    }
    ok = {
        "/hook": Route(200, b'{"errcode": 0, "errmsg": "ok"}', {"Content-Type": "application/json"})
    }
    failing: dict[str, Route] = {"/hook": Route(500, b"busy")}
    with (
        RouteServer(site_routes) as site,
        RouteServer(ok) as wecom,
        RouteServer(failing) as generic,
    ):
        config_path = tmp_path / "sites.yaml"
        config_path.write_text(
            f"sites:\n  - {{id: n, name: 通知测试站, owner: 测试中心, home: '{site.url}'}}\n"
            "schedule:\n  reports_dir: out/\n  probe_timeout: 5s\n"
            "notify:\n"
            f"  - {{name: robot, type: wecom, url: '{wecom.url}hook'}}\n"
            f"  - {{name: ledger, type: webhook, url: '{generic.url}hook', owners: [测试中心]}}\n"
            f"  - {{name: other, type: dingtalk, url: '{wecom.url}hook', sites: [],"
            " owners: [别的中心]}\n",
            encoding="utf-8",
        )
        config = load_config(config_path)
        db = f"sqlite:///{tmp_path / 'g.db'}"
        engine = open_database(db)

        scheduled_run(str(config_path), db, "crawl", "n")
        day = TODAY.isoformat()
        assert (tmp_path / "out" / day / "index.html").exists()
        assert (tmp_path / "out" / "latest" / "links.html").read_text(encoding="utf-8").count(
            "fixme.html"
        ) >= 1

        assert notify.deliver_due(engine, config) == (1, 1)
        message = json.loads(wecom.posts[0][1])
        assert message["msgtype"] == "markdown"
        assert "通知测试站" in message["markdown"]["content"]
        assert f"{site.url}fixme.html" in message["markdown"]["content"]
        assert "页面标题为“页面不存在”" in message["markdown"]["content"]
        with session_scope(engine) as session:
            failed = session.scalars(
                select(NotificationRow).where(NotificationRow.channel == "ledger")
            ).one()
            assert (failed.attempts, failed.delivered_at) == (1, None)
            assert failed.next_attempt_at > utcnow() + timedelta(seconds=20)
            assert "HTTP 500" in (failed.last_error or "")
        # Not due yet: nothing is sent again.
        assert notify.deliver_due(engine, config) == (0, 0)
        # The receiver recovers; once the backoff has passed the message goes through.
        failing["/hook"] = Route(200, b"{}")
        with session_scope(engine) as session:
            session.execute(update(NotificationRow).values(next_attempt_at=utcnow()))
        assert notify.deliver_due(engine, config) == (1, 0)
        body = json.loads(generic.posts[-1][1])
        assert body["site"] == "n"
        assert [f["url"] for f in body["new"]] == [f"{site.url}fixme.html"]

        # The department fixes the page: the next crawl reports it as fixed.
        site_routes["/fixme.html"] = Route(200, html("已修复"))
        scheduled_run(str(config_path), db, "crawl", "n")
        notify.deliver_due(engine, config)
        fixed = json.loads(wecom.posts[-1][1])["markdown"]["content"]
        assert "已整改 1 项" in fixed


def test_email_notification_is_delivered(tmp_path: Path) -> None:
    import email
    from email.policy import default

    from monitor.findings import DeadLinkFinding
    from monitor.notify import Subject, enqueue
    from tests.smtpkit import SmtpReceiver

    with SmtpReceiver() as smtp:
        config_path = tmp_path / "sites.yaml"
        config_path.write_text(
            "sites:\n  - {id: m, name: 邮件测试站, owner: 测试中心, home: 'http://127.0.0.1:9/'}\n"
            "notify:\n"
            f"  - {{name: mail, type: email, smtp: '127.0.0.1:{smtp.port}', tls: none,"
            " from: 'govwatch@example.gov.cn', to: ['zwgk@example.gov.cn']}\n",
            encoding="utf-8",
        )
        config = load_config(config_path)
        engine = open_database(f"sqlite:///{tmp_path / 'g.db'}")
        dead = DeadLinkFinding(
            "dead_link",
            "m",
            "http://127.0.0.1:9/gone.pdf",
            404,
            None,
            True,
            True,
            True,
            ("http://127.0.0.1:9/",),
            (),
            None,
            (),
        )
        assert enqueue(engine, config, Subject("m", "邮件测试站", "测试中心"), [dead], []) == 1
        assert notify.deliver_due(engine, config) == (1, 0)
    message = email.message_from_string(smtp.messages[0], policy=default)
    assert "邮件测试站" in str(message["Subject"])
    assert message["To"] == "zwgk@example.gov.cn"
    assert "http://127.0.0.1:9/gone.pdf" in message.get_content()
