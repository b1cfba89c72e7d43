"""Operator-facing words of the reports: Chinese by default, English available."""

from __future__ import annotations

import re

from monitor.findings import SiteFinding

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "政府网站监测报告",
        "overview": "总览",
        "columns": "栏目更新",
        "links": "不可用链接",
        "as_of": "监测日期",
        "colon": "：",
        "gap": "　",
        "generated": "生成时间",
        "site": "网站",
        "owner": "主办单位",
        "verdict": "结论",
        "run": "采集",
        "pages": "页面",
        "links_checked": "检测链接",
        "stale": "不更新栏目",
        "empty": "空白栏目",
        "unreachable": "无法访问栏目",
        "dead_definite": "确定不可用链接",
        "dead_suspected": "疑似不可用链接",
        "on_homepage": "首页",
        "column": "栏目",
        "category": "类别",
        "state": "状态",
        "newest": "最新信息",
        "newest_date": "最新日期",
        "age": "未更新天数",
        "window": "时限",
        "date_source": "日期来源",
        "item_count": "条目数",
        "url": "链接地址",
        "outcome": "状态/错误",
        "why": "原因",
        "certainty": "判定",
        "scope": "范围",
        "found_on": "所在页面（锚文本）",
        "internal": "站内",
        "external": "站外",
        "definite": "确定",
        "suspected": "疑似",
        "warning": "警告",
        "homepage_yes": "首页",
        "homepage_no": "其他页面",
        "none": "无",
        "no_data": "没有可用的采集数据：请先运行 govwatch crawl。",
        "site_no_data": "尚无完整采集",
        "days": "天",
        "vetoes": "单项否决",
        "warnings": "预警",
        "based_on": "依据每个网站在监测日期前最近一次完整采集。",
        "problems_columns": "不更新、空白和无法访问的栏目",
        "problems_links": "不可用链接",
        "no_problems": "未发现问题。",
        "homepage_newest": "首页最新信息",
        "newmedia": "政务新媒体",
        "discovered": "自动发现",
        "new_link": "本次新增",
        "more_pages": "另有 %d 处",
        "dead_on_homepage": "首页不可用链接",
        "streak": "连续 %d 次采集失败",
        "fixed_links": "已修复的链接",
        "fixed_at": "修复时间",
        "was": "修复前",
        "fix_how": "修复方式",
        "fix_answers": "现可正常访问",
        "fix_removed": "已从页面删除",
        "fix_pages_gone": "所在页面未再访问到（已删除或不再被链接）",
        "account": "账号",
        "platform": "平台",
        "newest_post": "最新发布",
        "days_silent": "未更新天数",
        "source": "来源",
        "belongs_to": "所属网站",
        "accounts_total": "账号数",
        "availability": "近7天可用率",
        "tag": "标签",
        "export_csv": "导出 CSV",
        "export_xlsx": "导出 XLSX",
        "links_by_page": "不可用链接（按页面）",
        "view_by_page": "按所在页面查看（%d 个页面）",
        "view_by_link": "按链接查看",
        "by_page_intro": "每个页面列出其上的不可用链接，可逐页在内容管理系统中修改。"
        "按确定不可用链接数从多到少排列，数目相同时首页在前。",
        "page": "所在页面",
        "is_homepage": "是否首页",
        "page_counts": "确定 %d 个，疑似 %d 个",
        "anchor_text": "锚文本",
        "on_pages": "共 %d 个页面有此链接",
        "first_seen": "首次发现",
        "last_seen": "最近发现",
        "consecutive": "连续失败次数",
        "yes": "是",
        "no": "否",
        "lang": "zh-CN",
        "redirects": "跳转",
        "blocked_host": "该网站拦截或限流了检查：%d 个链接未能核验（疑似）",
        "blocked_host_hint": "请人工抽查这些链接，或联系该网站将监测服务器的 IP 加入白名单。",
        "blocked_host_links": "全部 %d 个链接及所在页面",
        "template_link": "网站模板中的链接：出现在 %d 个页面，在模板中修改一次即可。",
        "template_links": "网站模板中的不可用链接",
        "template_links_intro": "以下链接在大量页面的同一位置（页头、页脚、侧栏等），属于网站模板："
        "在模板中修改一次即可。下方各页面不再逐一列出（首页除外）。",
    },
    "en": {
        "title": "Government website monitoring report",
        "overview": "Overview",
        "columns": "Column freshness",
        "links": "Dead links",
        "as_of": "As of",
        "colon": ": ",
        "gap": " · ",
        "generated": "Generated",
        "site": "Site",
        "owner": "Owner",
        "verdict": "Verdict",
        "run": "Crawl",
        "pages": "Pages",
        "links_checked": "Links checked",
        "stale": "Stale columns",
        "empty": "Empty columns",
        "unreachable": "Unreachable columns",
        "dead_definite": "Dead links",
        "dead_suspected": "Suspected dead links",
        "on_homepage": "On homepage",
        "column": "Column",
        "category": "Category",
        "state": "State",
        "newest": "Newest item",
        "newest_date": "Newest date",
        "age": "Days silent",
        "window": "Window",
        "date_source": "Date source",
        "item_count": "Items",
        "url": "URL",
        "outcome": "Status / error",
        "why": "Why",
        "certainty": "Certainty",
        "scope": "Scope",
        "found_on": "Found on (anchor text)",
        "internal": "same site",
        "external": "external",
        "definite": "definite",
        "suspected": "suspected",
        "warning": "warning",
        "homepage_yes": "homepage",
        "homepage_no": "other pages",
        "none": "none",
        "no_data": "No crawl data to report: run govwatch crawl first.",
        "site_no_data": "no complete crawl yet",
        "days": "days",
        "vetoes": "Vetoes",
        "warnings": "Warnings",
        "based_on": "Each site is judged on its latest complete crawl before the as-of date.",
        "problems_columns": "Stale, empty and unreachable columns",
        "problems_links": "Dead links",
        "no_problems": "No problems found.",
        "homepage_newest": "Homepage newest item",
        "newmedia": "New media",
        "discovered": "discovered",
        "new_link": "new in this crawl",
        "more_pages": "%d more places",
        "dead_on_homepage": "Dead links on homepage",
        "streak": "failed in %d crawls in a row",
        "fixed_links": "Fixed links",
        "fixed_at": "Fixed",
        "was": "Before",
        "fix_how": "How",
        "fix_answers": "answers now",
        "fix_removed": "taken off its pages",
        "fix_pages_gone": "its pages were not reached again (deleted or no longer linked)",
        "account": "Account",
        "platform": "Platform",
        "newest_post": "Newest post",
        "days_silent": "Days silent",
        "source": "Source",
        "belongs_to": "Site",
        "accounts_total": "Accounts",
        "availability": "Availability (7 days)",
        "tag": "Tag",
        "export_csv": "Export CSV",
        "export_xlsx": "Export XLSX",
        "links_by_page": "Dead links by page",
        "view_by_page": "View by page (%d pages)",
        "view_by_link": "View by link",
        "by_page_intro": "Each page with the dead links on it, to fix one page at a time in the "
        "CMS. Most definite dead links first; with as many, the homepage first.",
        "page": "Page",
        "is_homepage": "Homepage",
        "page_counts": "%d definite, %d suspected",
        "anchor_text": "Anchor text",
        "on_pages": "on %d pages",
        "first_seen": "First seen",
        "last_seen": "Last seen",
        "consecutive": "Failed crawls in a row",
        "yes": "yes",
        "no": "no",
        "lang": "en",
        "redirects": "Redirects",
        "blocked_host": "this site blocked or rate-limited the checker: %d links could not be "
        "checked (suspected)",
        "blocked_host_hint": "Check them by hand, or ask the site to let the monitor's IP "
        "address through.",
        "blocked_host_links": "all %d links and the pages they are on",
        "template_link": "In the site's page template: on %d pages; fix it once in the template.",
        "template_links": "Dead links in the site's page template",
        "template_links_intro": "These links sit in the same place on many pages (header, "
        "footer, sidebar): they are the page template's. Fix each once in the template; the "
        "pages below do not list them again (but the homepage).",
    },
}

VERDICTS = {
    "zh": {
        "fail": "不合格（触发单项否决）",
        "warn": "预警",
        "pass": "未触发单项否决",
        "unknown": "无数据",
    },
    "en": {"fail": "fails (veto)", "warn": "warning", "pass": "no veto", "unknown": "no data"},
}

STATES = {
    "zh": {
        "fresh": "正常",
        "stale": "不更新",
        "empty": "空白",
        "unreachable": "无法访问",
        "unreadable": "无法读取",
        "parent": "上级栏目",
        "content": "内容页",
        "external": "外部平台",
        "unchecked": "未检测",
        "no-window": "无时限要求",
    },
    "en": {
        "fresh": "fresh",
        "stale": "stale",
        "empty": "empty",
        "unreachable": "unreachable",
        "unreadable": "unreadable",
        "parent": "parent column",
        "content": "content page",
        "external": "on another site",
        "unchecked": "not checked",
        "no-window": "no window",
    },
}

CHECKS = {
    "zh": {
        "homepage_not_updated": "首页不更新",
        "columns_not_updated": "栏目不更新",
        "empty_columns": "空白栏目",
        "homepage": "首页无法访问",
        "crawl": "无采集数据",
        "blocked": "采集被网站拒绝",
    },
    "en": {
        "homepage_not_updated": "homepage not updated",
        "columns_not_updated": "columns not updated",
        "empty_columns": "empty columns",
        "homepage": "homepage unreachable",
        "crawl": "no crawl data",
        "blocked": "crawl refused by the site",
    },
}

DATE_SOURCES = {
    "zh": {
        "list": "列表",
        "list+url": "列表+网址年份",
        "url": "网址",
        "detail": "详情页",
        "list+crawl-date": "列表（按采集日期推定年份）",
    },
    "en": {
        "list": "list",
        "list+url": "list + URL year",
        "url": "URL",
        "detail": "detail page",
        "list+crawl-date": "list (year from crawl date)",
    },
}

ERRORS = {
    "zh": {
        "dns": "域名解析失败",
        "timeout": "超时",
        "connection_refused": "连接被拒绝",
        "connection_lost": "连接中断",
        "tls": "证书/TLS 错误",
        "too_many_redirects": "重定向过多",
        "redirect_loop": "重定向循环",
        "missing_anchor": "页面中没有该锚点",
        "unread_page": "页面过大，未读取，其中的链接未检查",
        "soft_404": "软404：页面不存在",
        "soft_404_sent": "软404：被跳转至 {url}",
        "blocked": "被防火墙拦截或限流",
        "malformed_url": "链接地址格式错误",
        "error": "请求错误",
    },
    "en": {
        "dns": "DNS failure",
        "timeout": "timeout",
        "connection_refused": "connection refused",
        "connection_lost": "connection lost",
        "tls": "TLS error",
        "too_many_redirects": "too many redirects",
        "redirect_loop": "redirect loop",
        "missing_anchor": "no such #anchor on the page",
        "unread_page": "too large to read: the links on it were not checked",
        "soft_404": "soft 404: the page says it does not exist",
        "soft_404_sent": "soft 404: sent to {url}",
        "blocked": "blocked by a firewall or rate limit",
        "malformed_url": "malformed URL",
        "error": "request error",
    },
}

RUN_STATES = {
    "zh": {"running": "进行中或已中断", "incomplete": "未完成", "complete": "完成"},
    "en": {"running": "running or interrupted", "incomplete": "incomplete", "complete": "complete"},
}

# What a site finding says, by its check (the finding's own ``detail`` is English, for JSON).
CHECK_DETAILS = {
    "zh": {
        "homepage_not_updated": "首页最新信息 {date}，已 {count} 天（> {threshold} 天）",
        "columns_not_updated": "{count} 个（≥ {threshold} 个）",
        "empty_columns": "{count} 个（≥ {threshold} 个）",
        "homepage": "采集时首页无法读取",
        "crawl": "截至该日期没有完整的采集",
        "blocked": (
            "最近一次采集被网站拒绝（多为防火墙限流或封禁），需读取的页面未能读取，该次结果未采用；"
            "请将监测服务器的 IP 加入网站防火墙白名单"
        ),
    },
    "en": {
        "homepage_not_updated": "newest item {date}, {count} days (> {threshold})",
        "columns_not_updated": "{count} (≥ {threshold})",
        "empty_columns": "{count} (≥ {threshold})",
        "homepage": "the homepage could not be read during the crawl",
        "crawl": "no complete crawl before the as-of date",
        "blocked": (
            "the latest crawl was refused by the site (a firewall's limit or ban): pages it "
            "had to read were not read, so it was not used; have the site's firewall let the "
            "monitor's IP address through"
        ),
    },
}

RUN_NOTE = {
    "zh": "最近一次采集 #{id}（{state}）未采用",
    "en": "latest crawl #{id} ({state}) not used",
}

ACCOUNT_STATES = {
    "zh": {
        "ok": "正常",
        "silent": "超过时限未更新",
        "not_daily": "未每个工作日更新",
        "unreachable": "来源无法读取",
        "unchecked": "未检测",
    },
    "en": {
        "ok": "ok",
        "silent": "silent",
        "not_daily": "not daily",
        "unreachable": "unreachable",
        "unchecked": "not checked",
    },
}

PLATFORMS = {
    "zh": {
        "wechat": "微信公众号",
        "weibo": "微博",
        "douyin": "抖音",
        "toutiao": "今日头条",
        "kuaishou": "快手",
        "bilibili": "哔哩哔哩",
        "app": "客户端",
        "miniprogram": "小程序",
        "other": "其他",
    },
    "en": {
        "wechat": "WeChat",
        "weibo": "Weibo",
        "douyin": "Douyin",
        "toutiao": "Toutiao",
        "kuaishou": "Kuaishou",
        "bilibili": "Bilibili",
        "app": "App",
        "miniprogram": "Mini program",
        "other": "Other",
    },
}


# Why a column has its category (monitor.rules, monitor.classify: Chinese, as the findings JSON
# says it), in English.
_REASON_MATCH = re.compile(r"(ColumnType|栏目名称|上级栏目“(?P<parent>.*)”)含“(?P<keyword>.*)”")


def reason_text(reason: str, lang: str) -> str:
    if lang != "en":
        return reason
    if reason == "配置指定":
        return "configured"
    if reason == "未匹配任何关键词":
        return "no keyword matched"
    found = _REASON_MATCH.fullmatch(reason)
    if found is None:
        return reason
    keyword, parent = found["keyword"], found["parent"]
    if found[1] == "ColumnType":
        return f"ColumnType has “{keyword}”"
    if parent is None:
        return f"name has “{keyword}”"
    return f"parent “{parent}” has “{keyword}”"


def site_finding_text(f: SiteFinding, lang: str) -> str:
    """A veto or warning in the operator's words: the check, what was found, which columns."""
    name = CHECKS[lang].get(f.check, f.check)
    listed = ("、" if lang == "zh" else ", ").join(f.columns)
    template = CHECK_DETAILS[lang].get(f.check)
    date_text = f.newest_date.isoformat() if f.newest_date else "—"
    detail = (
        template.format(date=date_text, count=f.count, threshold=f.threshold)
        if template
        else f.detail
    )
    colon = "：" if lang == "zh" else ": "
    return f"{name}{colon}{detail}" + (f" ({listed})" if f.columns else "")
