"""Findings as plain text for the terminal (Chinese labels)."""

from __future__ import annotations

from monitor.findings import AvailabilityFinding, ColumnFinding, DeadLinkFinding, Finding
from monitor.rules import SiteAssessment

VERDICTS = {"fail": "不合格", "warn": "预警", "pass": "未触发否决项", "unknown": "无数据"}
KINDS = {
    "stale_column": "栏目不更新",
    "empty_column": "空白栏目",
    "column_unreachable": "栏目无法访问",
    "dead_link": "不可用链接",
    "homepage_unreachable": "首页无法访问",
    "site_veto": "单项否决",
    "site_warning": "预警",
    "no_data": "无采集数据",
    "site_unavailable": "站点无法访问",
    "availability_warning": "可用性预警",
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
        return f"{f.column}: {f.error or ''} {f.url}".strip()
    if isinstance(f, DeadLinkFinding):
        outcome = str(f.status) if f.status is not None else (f.error or "?")
        where = "首页" if f.on_homepage else f"{len(f.sources)} 个页面"
        certainty = "确定" if f.definite else "疑似"
        scope = "站内" if f.internal else "外部"
        return f"{certainty} {scope} {outcome} {f.url} (位于 {where})"
    if isinstance(f, AvailabilityFinding):
        return (
            f"首页探测 {f.probes} 次, 失败 {f.failures} 次 ({f.failure_rate:.1%}) "
            f"≥ {f.threshold:.0%}, 近 {f.window_days} 天"
        )
    return f"{f.check}: {f.detail}"
