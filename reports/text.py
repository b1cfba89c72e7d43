"""Findings as plain text for the terminal (Chinese labels)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from monitor.findings import (
    AccountFinding,
    AvailabilityFinding,
    ColumnFinding,
    DeadLinkFinding,
    Finding,
    SiteFinding,
    finding_to_json,
)
from monitor.records import LinkFix, RunRecord
from monitor.rules import LOCAL_TZ, AccountVerdict, SiteAssessment, column_parents
from reports.explain import explain
from reports.labels import CHECKS, STATES, site_finding_text

VERDICTS = {"fail": "不合格", "warn": "预警", "pass": "未触发否决项", "unknown": "无数据"}
KINDS = {
    "stale_column": "栏目不更新",
    "empty_column": "空白栏目",
    "column_unreachable": "栏目无法访问",
    "dead_link": "不可用链接",
    "missing_anchor": "锚点缺失",
    "unread_page": "页面过大未读取",
    "homepage_unreachable": "首页无法访问",
    "site_veto": "单项否决",
    "site_warning": "预警",
    "no_data": "无采集数据",
    "crawl_blocked": "采集被网站拒绝",
    "site_unavailable": "站点无法访问",
    "availability_warning": "可用性预警",
    "account_silent": "新媒体超过14天不更新",
    "account_not_daily": "新媒体未每个工作日更新",
    "account_unreachable": "新媒体来源无法读取",
}
ACCOUNT_STATES = {
    "ok": "正常",
    "silent": "不更新",
    "not_daily": "未每日更新",
    "unreachable": "无法读取",
    "unchecked": "未检测",
}


def findings_as_text(assessments: list[SiteAssessment]) -> str:
    lines: list[str] = []
    for a in assessments:
        run = f"run {a.run.id}, {a.run.started_at:%Y-%m-%d %H:%M} UTC" if a.run else "—"
        lines.append(
            f"{a.site.name} ({a.site.id}): {VERDICTS[a.verdict]} — {run}, "
            f"as of {a.as_of.isoformat()}"
        )
        for f in a.findings:
            lines.append(f"  [{KINDS.get(f.kind, f.kind)}] {_describe(f)}")
        if not a.findings:
            lines.append("  无问题 / no findings")
    return "\n".join(lines)


def _describe(f: Finding) -> str:
    if isinstance(f, ColumnFinding):
        if f.kind == "stale_column":
            return (
                f"{f.column}: 最新 {f.newest_date} ({f.age_days} 天 > {f.max_age_days} 天) {f.url}"
            )
        return f"{f.column}: {f.error} {f.url}" if f.error else f"{f.column}: {f.url}"
    if isinstance(f, DeadLinkFinding):
        outcome = " ".join(str(part) for part in (f.status, f.error) if part is not None) or "?"
        pages = f"{len(f.sources)} 个页面"
        where = (f"首页等 {pages}" if len(f.sources) > 1 else "首页") if f.on_homepage else pages
        certainty = ("确定" if f.definite else "疑似") if f.kind == "dead_link" else KINDS[f.kind]
        scope = "站内" if f.internal else "外部"
        why = explain(f.error, f.error_detail, "zh")
        said = f" — {why}" if why else ""
        return f"{certainty} {scope} {outcome} {f.url} (位于 {where}){said}"
    if isinstance(f, AvailabilityFinding):
        return (
            f"首页探测 {f.probes} 次, 失败 {f.failures} 次 ({f.failure_rate:.1%}) "
            f"≥ {f.threshold:.0%}, 近 {f.window_days} 天"
        )
    if isinstance(f, AccountFinding):
        return account_line(f)
    if isinstance(f, SiteFinding):
        return site_finding_text(f, "zh")
    return f"{CHECKS['zh'].get(f.check, f.check)}: {f.detail}"


def account_line(f: AccountFinding) -> str:
    newest = f.newest_post.strftime("%Y-%m-%d %H:%M") if f.newest_post else "无"
    if f.kind == "account_unreachable":
        return f"{f.name} ({f.platform}): 来源无法读取 — {f.error} {f.source_url}"
    silent = f"{f.days_silent} 天未更新" if f.days_silent is not None else "没有可读的发布时间"
    return f"{f.name} ({f.platform}): 最新发布 {newest}, {silent} {f.source_url}"


def accounts_as_text(verdicts: list[AccountVerdict]) -> str:
    lines = ["政务新媒体 / new media:"]
    for v in verdicts:
        label = ACCOUNT_STATES.get(v.state, v.state)
        detail = account_line(v.finding) if v.finding else v.account.name
        lines.append(f"  [{label}] {detail}")
    return "\n".join(lines)


def scan_summary_text(
    run: RunRecord, found: list[Finding], fixed: list[LinkFix], seconds: float
) -> str:
    lines = [
        (
            f"扫描完成 / scan done: run {run.id} ({run.kind}), {run.pages} pages, "
            f"{run.links} links checked, {seconds:.1f} s"
        )
    ]
    for fix in fixed:
        before = fix.was_error or (str(fix.was_status) if fix.was_status is not None else "?")
        how = (
            "已从页面删除 / taken off its pages, "
            if fix.removed
            else "所在页面未再访问到 / its pages are gone, "
            if fix.pages_gone
            else ""
        )
        lines.append(
            f"  [已修复 / fixed] {fix.url} (was {before}, {how}fixed {_local(fix.fixed_at)})"
        )
    for finding in found:
        lines.append(f"  [{KINDS.get(finding.kind, finding.kind)}] {_describe(finding)}")
    lines.append(f"问题 / findings: {len(found)}" if found else "未发现问题 / no findings")
    return "\n".join(lines)


def scan_summary_json(run: RunRecord, found: list[Finding], fixed: list[LinkFix]) -> dict[str, Any]:
    return {
        "run": {
            "id": run.id,
            "kind": run.kind,
            "status": run.status,
            "pages": run.pages,
            "links": run.links,
        },
        "findings": [finding_to_json(f) for f in found],
        "fixed": [
            {
                "url": f.url,
                "fixed_at": f.fixed_at.replace(tzinfo=UTC).isoformat(),
                "was_status": f.was_status,
                "was_error": f.was_error,
                "removed": f.removed,
                "pages_gone": f.pages_gone,
            }
            for f in fixed
        ],
    }


def status_as_text(data: dict[str, Any]) -> str:
    lines = ["最近运行 / runs:"]
    for run in data["runs"]:
        lines.append(
            f"  {run['site']:<16} #{run['id']:<5} {run['kind']:<9} {run['status']:<10} "
            f"{run['started'] or '':<32} pages {run['pages']}, links {run['links']}"
        )
    if not data["runs"]:
        lines.append("  (none)")
    lines.append("计划任务 / jobs:")
    lines += [f"  {job['id']:<28} next {job['next_run']}" for job in data["jobs"]] or [
        "  (none: start `govwatch schedule`)"
    ]
    lines.append("锁 / locks:")
    lines += [
        f"  {lock['site']}: `{lock['command']}` PID {lock['pid']} on {lock['host']} "
        f"since {lock['acquired']}{' (stale)' if lock['stale'] else ''}"
        for lock in data["locks"]
    ] or ["  (none)"]
    size = data["database"]["size_bytes"]
    lines.append(
        f"数据库 / database: {data['database']['url']}"
        + (f", {size / 1024 / 1024:.1f} MiB" if size is not None else "")
    )
    return "\n".join(lines)


STATE_LABELS = STATES["zh"]


def columns_tree(assessment: SiteAssessment, preset_labels: dict[str, str]) -> list[dict[str, Any]]:
    """The site's columns as a tree (parents before children), each with its evidence."""
    rows = []
    parents = column_parents([v.observation for v in assessment.columns if v.observation])
    for verdict in assessment.columns:
        obs = verdict.observation
        rows.append(
            {
                "name": verdict.column.name,
                "url": verdict.column.url,
                "parent": parents.get(obs.column_name, obs.parent_name) if obs else None,
                "category": verdict.column.category,
                "category_label": preset_labels.get(verdict.column.category, ""),
                "reason": verdict.reason,
                "discovered": verdict.discovered,
                "state": verdict.state,
                "newest_date": obs.newest_date.isoformat() if obs and obs.newest_date else None,
                "newest_source": obs.newest_date_source if obs else None,
                "newest_title": obs.newest_title if obs else None,
                "item_count": obs.item_count if obs else None,
                "window": str(verdict.window) if verdict.window else None,
            }
        )
    return rows


def columns_tree_text(rows: list[dict[str, Any]]) -> str:
    children: dict[str | None, list[dict[str, Any]]] = {}
    names = {row["name"] for row in rows}
    for row in rows:
        parent = row["parent"] if row["parent"] in names else None
        children.setdefault(parent, []).append(row)
    lines: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        for row in children.get(parent, []):
            newest = f"{row['newest_date']} ({row['newest_source']})" if row["newest_date"] else "—"
            lines.append(
                f"{'  ' * depth}{row['name']}  [{STATE_LABELS.get(row['state'], row['state'])}]"
                f"  {row['category_label'] or row['category']}（{row['reason']}）"
                f"  最新 {newest}  条目 {_count(row['item_count'])}"
                f"  {row['url']}"
            )
            if row["name"] != parent:
                walk(row["name"], depth + 1)

    walk(None, 0)
    return "\n".join(lines) if lines else "(no columns: run a crawl first)"


def _count(value: int | None) -> str:
    return "—" if value is None else str(value)


def inspect_text(data: dict[str, Any]) -> str:
    lines = [f"页面 / page: {data['url']}", f"类型 / type: {data['page_type']}"]
    column = data["column"]
    lines.append(
        f"栏目元数据 / column meta: ColumnName={column['ColumnName']} "
        f"ColumnType={column['ColumnType']} → {column['category']}（{column['reason']}）"
    )
    listing = data["list"]
    lines.append(
        f"主列表 / main list: {listing['item_count']} 条, 有日期 {listing['dated_count']} 条"
        + ("（来自脚本数据）" if listing["from_script"] else "")
    )
    for item in listing["items"][:30]:
        lines.append(
            f"  {item['date'] or '—':<10}  [{item['date_text'] or ''}] "
            f"({item['source'] or '无日期'})  {item['title']}  {item['url']}"
        )
    if listing["newest"]:
        newest = listing["newest"]
        lines.append(f"最新 / newest: {newest['date']} ({newest['source']}) {newest['title']}")
    if listing["empty_marker"]:
        lines.append(f"空栏目标记 / empty marker: {listing['empty_marker']}")
    if listing["data_urls"] or listing["scripted"]:
        lines.append(f"脚本列表 / scripted list: data URLs {listing['data_urls']}")
    detail = data["detail"]
    lines.append("详情元数据 / detail: " + ", ".join(f"{k}={v}" for k, v in detail.items() if v))
    lines.append(
        "导航栏目 / navigation: " + (", ".join(n["name"] for n in data["navigation"]) or "—")
    )
    return "\n".join(lines)


def _local(moment: datetime) -> str:
    """A stored UTC time as the operator reads it (Asia/Shanghai), as the reports show it."""
    return moment.replace(tzinfo=UTC).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
