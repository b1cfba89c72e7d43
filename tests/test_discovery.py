"""Column discovery on a 40+-column site in three CMS styles, with nothing configured."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cmssite import PLANTED, build, columns, write_config
from tests.conftest import FAST, findings_json, govwatch
from tests.httpkit import RouteServer
from tests.test_operations import TODAY


def test_discovery_finds_and_judges_every_column(tmp_path: Path) -> None:
    with RouteServer(build(TODAY)) as server:
        config = tmp_path / "sites.yaml"
        write_config(config, server.url)
        db = f"sqlite:///{tmp_path / 'g.db'}"
        govwatch("crawl", "-c", str(config), "--db", db, *FAST)
        findings = findings_json(config, db, TODAY)
        tree = json.loads(
            govwatch(
                "columns", "-c", str(config), "--db", db, "--site", "county", "--format", "json"
            ).stdout
        )
        text = govwatch("columns", "-c", str(config), "--db", db, "--site", "county").stdout
        govwatch("report", "-c", str(config), "--db", db, "--out", str(tmp_path / "out"))
        explained = json.loads(
            govwatch("inspect", f"{server.url}zwgk/c1/", "--format", "json").stdout
        )
    column_findings = {(f["kind"], f["column"]) for f in findings if "column" in f}
    assert column_findings == PLANTED
    by_name = {row["name"]: row for row in tree}
    expected = {c.name for c in columns()}
    assert expected <= set(by_name)
    assert by_name["政务公开"]["state"] == "parent"
    assert by_name["机构职能"]["state"] == "content"
    assert by_name["部门动态"]["parent"] == "政务公开"
    assert by_name["部门动态"]["category"] == "news"
    assert by_name["通知公告"]["reason"] == "ColumnType含“通知公告”"
    assert by_name["人事任免"]["category"] == "personnel"
    assert by_name["领导信箱"]["category"] == "interaction"
    assert by_name["意见征集"]["newest_date"] is not None  # read from its JSON data URL
    assert by_name["政府文件"]["newest_source"] == "list"  # from the CDATA data island (GBK)
    # The 置顶 2020 item does not hide the fresh items after it.
    assert by_name["政务动态"]["state"] == "fresh"
    assert "网上调查" in by_name  # found through the 网站地图 only
    # Found in the 信息公开目录 tree (a script in an iframe of the section page).
    assert by_name["预算公开"]["parent"] == "信息公开"
    assert by_name["预算公开"]["category"] == "finance"
    assert by_name["重点项目"]["category"] == "key-area"
    assert "  部门动态" in text
    report = (tmp_path / "out" / "columns.html").read_text(encoding="utf-8")
    assert "无法读取" in report and "投诉举报" in report
    assert "栏目名称含“部门动态”" in report or "ColumnType含“部门动态”" in report

    stale = next(f for f in findings if f.get("column") == "部门动态")
    assert stale["discovered"] is True
    assert stale["age_days"] == 20
    assert stale["newest_title"].startswith("部门动态：")
    # inspect explains the stale column's page with the crawl's own reading.
    assert explained["page_type"] == "list"
    assert explained["list"]["newest"]["date"] == stale["newest_date"]
    assert explained["list"]["newest"]["source"] == "list+url"
    assert explained["column"]["category"] == "news"
