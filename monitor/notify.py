"""New and fixed findings after a scheduled crawl, sent to webhooks (企业微信, 钉钉, generic
JSON) and e-mail through a database outbox: retried with backoff, logged, never lost."""

from __future__ import annotations

import json
import logging
import os
import smtplib
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import Engine
from w3lib.url import safe_url_string

from monitor import store
from monitor.config import Config, NotifyChannel
from monitor.database import session_scope
from monitor.findings import (
    AccountFinding,
    AvailabilityFinding,
    ColumnFinding,
    DeadLinkFinding,
    Finding,
    SiteFinding,
    finding_to_json,
)
from reports.explain import explain

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10
MAX_BACKOFF = timedelta(hours=1)
FIRST_BACKOFF = timedelta(seconds=30)


class DeliveryError(Exception):
    """A channel refused or failed a delivery."""


def identity(finding: Finding) -> tuple[str | None, ...]:
    """What makes two findings 'the same problem' across runs."""
    if isinstance(finding, ColumnFinding):
        return (finding.kind, finding.site, finding.column)
    if isinstance(finding, DeadLinkFinding):
        return (finding.kind, finding.site, safe_url_string(finding.url))
    if isinstance(finding, SiteFinding):
        return (finding.kind, finding.site, finding.check)
    if isinstance(finding, AccountFinding):
        return (finding.kind, finding.account)
    return (finding.kind, finding.site)


def diff_findings(
    before: Sequence[Finding], after: Sequence[Finding]
) -> tuple[list[Finding], list[Finding]]:
    """(new, fixed): in ``after`` but not ``before``, and the other way round."""
    old = {identity(f): f for f in before}
    new = {identity(f): f for f in after}
    return (
        [f for k, f in new.items() if k not in old],
        [f for k, f in old.items() if k not in new],
    )


@dataclass(frozen=True)
class Subject:
    """Who a message is about: a site, or the new-media accounts."""

    id: str
    name: str
    owner: str | None


def subject_of(config: Config, subject_id: str) -> Subject:
    if subject_id == store.ACCOUNTS_SUBJECT:
        return Subject(subject_id, "政务新媒体", None)
    site = config.site(subject_id)
    return Subject(site.id, site.name, site.owner)


def enqueue(
    engine: Engine,
    config: Config,
    subject: Subject,
    new: Sequence[Finding],
    fixed: Sequence[Finding],
) -> int:
    """Put one message per interested channel in the outbox; returns how many."""
    if not new and not fixed:
        return 0
    channels = [c for c in config.notify if c.wants(subject.id, subject.owner)]
    with session_scope(engine) as session:
        for channel in channels:
            store.enqueue_notification(
                session, subject.id, channel.name, _payload(channel, subject, new, fixed)
            )
    return len(channels)


def deliver_due(engine: Engine, config: Config) -> tuple[int, int]:
    """Try every due message once, each in its own transaction; returns (delivered, failed)."""
    channels = {c.name: c for c in config.notify}
    with session_scope(engine) as session:
        due = [(row.id, row.channel, row.payload) for row in store.due_notifications(session)]
    delivered = failed = 0
    for row_id, channel_name, payload in due:
        channel = channels.get(channel_name)
        try:
            if channel is None:
                raise DeliveryError(f"channel {channel_name!r} is no longer configured")
            send(channel, payload)
        except Exception as exc:
            failed += 1
            with session_scope(engine) as session:
                attempts, backoff = store.notification_failed(
                    session, row_id, str(exc)[:1000], FIRST_BACKOFF, MAX_BACKOFF
                )
            log.warning(
                "notification %s to %s failed (attempt %s, next in %s): %s",
                row_id,
                channel_name,
                attempts,
                backoff,
                exc,
            )
        else:
            delivered += 1
            with session_scope(engine) as session:
                store.notification_delivered(session, row_id)
            log.info("notification %s delivered to %s", row_id, channel_name)
    return delivered, failed


def send(channel: NotifyChannel, payload: dict[str, Any]) -> None:
    if channel.type == "email":
        _send_email(channel, payload)
        return
    assert channel.url is not None
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        channel.url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            answer = response.read(64 * 1024)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code} from {channel.name}") from exc
    except urllib.error.URLError as exc:
        raise DeliveryError(f"{channel.name}: {exc.reason}") from exc
    if channel.type in ("wecom", "dingtalk"):
        try:
            code = json.loads(answer or b"{}").get("errcode", 0)
        except ValueError:
            code = "unreadable answer"
        if code != 0:
            raise DeliveryError(f"{channel.name} answered errcode {code}: {answer[:200]!r}")


def _send_email(channel: NotifyChannel, payload: dict[str, Any]) -> None:
    assert channel.smtp and channel.sender
    host, port = channel.smtp.rsplit(":", 1)
    message = EmailMessage()
    message["Subject"] = payload["subject"]
    message["From"] = channel.sender
    message["To"] = ", ".join(channel.to)
    message.set_content(payload["text"])
    smtp_class = smtplib.SMTP_SSL if channel.tls == "ssl" else smtplib.SMTP
    with smtp_class(host, int(port), timeout=TIMEOUT_SECONDS) as smtp:
        if channel.tls == "starttls":
            smtp.starttls()
        user = os.environ.get(channel.username_env or "") if channel.username_env else None
        password = os.environ.get(channel.password_env or "") if channel.password_env else None
        if user and password:
            smtp.login(user, password)
        smtp.send_message(message)


def _payload(
    channel: NotifyChannel, site: Subject, new: Sequence[Finding], fixed: Sequence[Finding]
) -> dict[str, Any]:
    title = f"【政府网站监测】{site.name}：新增问题 {len(new)} 项，已整改 {len(fixed)} 项"
    lines = [f"### {title}"]
    lines += [f"- 新增：{_line(f)}" for f in new[:30]]
    lines += [f"- 已整改：{_line(f)}" for f in fixed[:30]]
    if len(new) > 30 or len(fixed) > 30:
        lines.append("- ……（完整清单见报告）")
    text = "\n".join(lines)
    if channel.type == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": text}}
    if channel.type == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    if channel.type == "email":
        return {"subject": title, "text": text.replace("### ", "")}
    return {
        "site": site.id,
        "name": site.name,
        "title": title,
        "new": [finding_to_json(f) for f in new],
        "fixed": [finding_to_json(f) for f in fixed],
    }


def _line(finding: Finding) -> str:
    if isinstance(finding, ColumnFinding):
        state = {"stale_column": "栏目不更新", "empty_column": "空白栏目"}.get(
            finding.kind, "栏目无法访问"
        )
        age = f"，{finding.age_days} 天未更新" if finding.age_days is not None else ""
        return f"{state} {finding.column}{age} {finding.url}"
    if isinstance(finding, DeadLinkFinding):
        outcome = finding.status if finding.status is not None else finding.error
        where = "首页" if finding.on_homepage else f"{len(finding.sources)} 个页面"
        label = {"missing_anchor": "锚点缺失", "unread_page": "页面过大未读取"}.get(
            finding.kind, "不可用链接"
        )
        why = explain(finding.error, finding.error_detail, "zh")
        return f"{label} {finding.url}（{outcome}，位于{where}）" + (f"：{why}" if why else "")
    if isinstance(finding, AvailabilityFinding):
        return (
            f"首页可访问性：失败 {finding.failures}/{finding.probes}（{finding.failure_rate:.1%}）"
        )
    if isinstance(finding, AccountFinding):
        return f"政务新媒体 {finding.name}（{finding.platform}）{finding.kind}"
    return f"{finding.kind} {finding.check}：{finding.detail}"
