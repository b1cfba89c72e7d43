"""New-media accounts: config, the three rules at their boundaries, and a real crawl of fixture
feeds and pages on 127.0.0.1 through to findings and the report."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from lxml import html as lxml_html

from monitor.config import AccountConfig, load_config, load_preset
from monitor.durations import Window
from monitor.records import AccountObservation
from monitor.rules import judge_account
from monitor.workdays import WorkdayCalendar
from monitor.yamlsource import ConfigError
from tests.conftest import FAST, ROOT, findings_json, govwatch
from tests.httpkit import Route, RouteServer
from tests.test_operations import TODAY

PRESET = load_preset("national-2019", ROOT / "config")
FEEDS = Path(__file__).resolve().parent / "feeds"


def account(**overrides: object) -> AccountConfig:
    data: dict[str, object] = {
        "id": "fabu",
        "name": "龙南发布",
        "platform": "wechat",
        "feed": "http://rsshub.local/wechat/mp/x",
    }
    data.update(overrides)
    return AccountConfig.model_validate(data)


def fetched(newest: date | None, error: str | None = None) -> AccountObservation:
    # 10:00 Shanghai on that day, stored as naive UTC.
    time = datetime(newest.year, newest.month, newest.day, 2, 0) if newest else None
    return AccountObservation(
        "fabu",
        "http://rsshub.local/wechat/mp/x",
        "rss2",
        datetime(2024, 7, 22, 1, 0),
        200 if not error else 500,
        error,
        3 if newest else 0,
        time,
        None,
        "标题" if newest else None,
        None,
    )


@pytest.mark.parametrize(
    ("newest", "expected"),
    [
        (date(2024, 7, 8), "account_not_daily"),  # exactly 14 days: inside the window
        (date(2024, 7, 7), "account_silent"),  # 15 days: silent (the veto)
        (None, "account_silent"),  # a readable feed with no dated post
    ],
)
def test_silent_boundary(newest: date | None, expected: str) -> None:
    verdict = judge_account(
        account(), PRESET, fetched(newest), date(2024, 7, 22), WorkdayCalendar()
    )
    assert verdict.finding is not None
    assert verdict.finding.kind == expected


@pytest.mark.parametrize(
    ("as_of", "newest", "expected"),
    [
        # Monday 2024-07-22: the previous working day is Friday 07-19.
        (date(2024, 7, 22), date(2024, 7, 19), None),
        (date(2024, 7, 22), date(2024, 7, 18), "account_not_daily"),
        # After National Day: the previous working day of 2024-10-08 is 09-30 (09-29 a 调休 Sunday).
        (date(2024, 10, 8), date(2024, 9, 30), None),
        (date(2024, 10, 8), date(2024, 9, 29), "account_not_daily"),
    ],
)
def test_not_daily_respects_working_days(as_of: date, newest: date, expected: str | None) -> None:
    verdict = judge_account(account(), PRESET, fetched(newest), as_of, WorkdayCalendar())
    assert (verdict.finding.kind if verdict.finding else None) == expected


def test_overrides_and_unreachable() -> None:
    calendar = WorkdayCalendar()
    relaxed = account(daily=False, max_age="30d")
    assert (
        judge_account(
            relaxed, PRESET, fetched(date(2024, 6, 25)), date(2024, 7, 22), calendar
        ).finding
        is None
    )
    assert relaxed.max_age == Window(30, "d")
    broken = judge_account(
        account(), PRESET, fetched(None, "malformed_xml: x"), date(2024, 7, 22), calendar
    )
    assert broken.finding is not None
    assert broken.finding.kind == "account_unreachable"  # never "silent" on that evidence
    assert judge_account(account(), PRESET, None, date(2024, 7, 22), calendar).state == "unchecked"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("    page: {url: 'http://x/', item: div, date: span}\n", "expected exactly one of 'feed'"),
        ("", None),
    ],
)
def test_feed_or_page(tmp_path: Path, extra: str, message: str | None) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "accounts:\n  - id: a\n    name: 甲\n    platform: weibo\n"
        "    feed: http://rsshub.local/weibo/user/1\n" + extra,
        encoding="utf-8",
    )
    if message is None:
        assert load_config(path).accounts[0].source_url == "http://rsshub.local/weibo/user/1"
        return
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_account_config_errors(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "sites:\n  - {id: longnan, name: 龙南, home: 'http://x/'}\n"
        "accounts:\n"
        "  - {id: longnan, name: 重复, platform: wechat, feed: 'http://f/'}\n"
        "  - {id: b, name: 乙, platform: myspace, feed: 'http://f/'}\n"
        "  - {id: c, name: 丙, platform: weibo, site: nowhere, feed: 'http://f/'}\n"
        "  - {id: d, name: 丁, platform: weibo, page: {url: 'http://p/', item: 'div[', "
        "date: span}}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = str(caught.value)
    assert "c.yaml:5: accounts[1] (b).platform:" in text
    assert "c.yaml:7: accounts[3] (d).page.item: expected a CSS selector" in text
    path.write_text(
        path.read_text(encoding="utf-8").replace("myspace", "weibo").replace("'div['", "div"),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = str(caught.value)
    assert "c.yaml:4: accounts[0] (longnan).id: duplicate id 'longnan'" in text
    assert "c.yaml:6: accounts[2] (c).site: unknown site id 'nowhere'" in text


def rss(*posts: datetime) -> bytes:
    items = "".join(
        f"<item><title>推送{i}</title><link>http://mp.example/s/{i}</link>"
        f"<pubDate>{p.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate></item>"
        for i, p in enumerate(posts)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()


def test_crawl_findings_and_report(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    atom = (
        f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry>'
        f'<title>很久以前</title><link href="/old"/><updated>'
        f"{(now - timedelta(days=20)).isoformat()}</updated></entry></feed>"
    ).encode()
    json_feed = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "items": [
                {
                    "title": "十三天前",
                    "url": "http://j/1",
                    "date_published": (now - timedelta(days=13)).isoformat(),
                }
            ],
        }
    ).encode()
    routes = {
        "/rss/fresh": Route(
            200,
            rss(now - timedelta(hours=1), now - timedelta(days=3)),
            {"Content-Type": "application/rss+xml"},
        ),
        "/atom/silent": Route(200, atom, {"Content-Type": "application/atom+xml"}),
        "/json/weekly": Route(200, json_feed, {"Content-Type": "application/json"}),
        "/broken.xml": Route(200, (FEEDS / "broken.xml").read_bytes()),
        "/down": Route(500, b"error"),
        "/u/123": Route(200, (FEEDS / "weibo.html").read_bytes()),
        "/": Route(200, b"<html><body>home</body></html>"),
    }
    with RouteServer(routes) as server:
        config = tmp_path / "sites.yaml"
        config.write_text(
            "sites:\n"
            f"  - {{id: longnan, name: 龙南市人民政府, home: '{server.url}'}}\n"
            "accounts:\n"
            f"  - {{id: fresh, name: 龙南发布, platform: wechat, site: longnan, feed: '{server.url}rss/fresh'}}\n"
            f"  - {{id: silent, name: 龙南文旅, platform: douyin, owner: 文旅局, feed: '{server.url}atom/silent'}}\n"
            f"  - {{id: weekly, name: 龙南市场监管, platform: toutiao, feed: '{server.url}json/weekly'}}\n"
            f"  - {{id: broken, name: 坏的源, platform: wechat, feed: '{server.url}broken.xml'}}\n"
            f"  - {{id: down, name: 关闭的源, platform: bilibili, feed: '{server.url}down'}}\n"
            f"  - id: weibo\n    name: 龙南发布\n    platform: weibo\n    page:\n"
            f"      url: {server.url}u/123\n      item: div.post\n      date: .time\n"
            f"      title: a.title\n      link: a.title\n",
            encoding="utf-8",
        )
        db = f"sqlite:///{tmp_path / 'g.db'}"
        result = govwatch("crawl", "-c", str(config), "--db", db, *FAST)
        assert "@accounts" in result.stdout
        findings = [f for f in findings_json(config, db, TODAY) if f["kind"].startswith("account")]
        govwatch("report", "-c", str(config), "--db", db, "--out", str(tmp_path / "out"))
        only = govwatch("crawl", "-c", str(config), "--db", db, "--account", "weekly", *FAST)
        assert "@accounts" in only.stdout and "longnan" not in only.stdout
    got = {f["account"]: f["kind"] for f in findings}
    assert got == {
        "silent": "account_silent",
        "weekly": "account_not_daily",
        "broken": "account_unreachable",
        "down": "account_unreachable",
    }
    silent = next(f for f in findings if f["account"] == "silent")
    assert silent["days_silent"] == 20
    assert silent["owner"] == "文旅局"
    assert silent["platform"] == "douyin"
    assert silent["source_url"] == f"{server.url}atom/silent"
    assert silent["newest_post"].endswith("+08:00")
    assert silent["error"] is None
    down = next(f for f in findings if f["account"] == "down")
    assert down["error"] == "HTTP 500"
    assert down["newest_post"] is None
    assert next(f for f in findings if f["account"] == "broken")["error"].startswith(
        "malformed_xml"
    )
    page = lxml_html.fromstring((tmp_path / "out" / "newmedia.html").read_bytes())
    states = {
        r.xpath("string(td[1])") + "/" + r.xpath("string(td[2])"): r.xpath("string(td[5]/span)")
        for r in page.xpath("//table[@class='accounts']/tr[td]")
    }
    assert states == {
        "龙南文旅/抖音": "超过时限未更新",
        "坏的源/微信公众号": "来源无法读取",
        "关闭的源/哔哩哔哩": "来源无法读取",
        "龙南市场监管/今日头条": "未每个工作日更新",
        "龙南发布/微信公众号": "正常",
        "龙南发布/微博": "正常",
    }
    overview = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "政务新媒体" in overview


def test_accounts_suggest(tmp_path: Path) -> None:
    with RouteServer({"/zwxmt/": Route(200, (FEEDS / "matrix.html").read_bytes())}) as server:
        result = govwatch("accounts", "suggest", f"{server.url}zwxmt/", "--site", "longnan")
    text = result.stdout
    assert "platform: douyin" in text and '"龙南文旅"' in text
    assert "# found on the page: https://weibo.example/u/123" in text
    # The suggestion is valid YAML that needs only its sources completed.
    import yaml

    entries = yaml.safe_load(text)["accounts"]
    assert [e["platform"] for e in entries] == [
        "wechat",
        "wechat",
        "weibo",
        "douyin",
        "miniprogram",
    ]
    assert len({e["id"] for e in entries}) == 5


def test_a_report_of_accounts_alone_counts_days_from_its_as_of_date(tmp_path: Path) -> None:
    """A config with accounts and no site: the report is judged at --as-of like the findings
    (it counted 0 days silent for every account, dated itself in UTC, and said no data)."""
    now = datetime.now(UTC)
    atom = (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry>'
        f"<title>很久以前</title><updated>{(now - timedelta(days=20)).isoformat()}</updated>"
        "</entry></feed>"
    ).encode()
    with RouteServer({"/atom": Route(200, atom, {"Content-Type": "application/atom+xml"})}) as srv:
        config = tmp_path / "accounts.yaml"
        config.write_text(
            "accounts:\n"
            f"  - {{id: silent, name: 龙南文旅, platform: douyin, feed: '{srv.url}atom'}}\n",
            encoding="utf-8",
        )
        db = f"sqlite:///{tmp_path / 'g.db'}"
        govwatch("crawl", "-c", str(config), "--db", db, *FAST)
    out = tmp_path / "out"
    later = TODAY + timedelta(days=2)
    govwatch("report", "-c", str(config), "--db", db, "--out", str(out), "--as-of", str(later))
    page = lxml_html.fromstring((out / "newmedia.html").read_bytes())
    row = page.xpath("//table[@class='accounts']/tr[td]")[0]
    cells = [c.text_content().strip() for c in row.xpath("td")]
    assert "22 天" in cells  # days silent at the as-of date
    assert later.isoformat() in page.text_content()
    assert not page.xpath("//p[@class='alert']")
