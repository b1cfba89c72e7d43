"""Each rule at its threshold and one day past, on observations built here."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from monitor.classify import classify
from monitor.config import ColumnConfig, Preset, SiteConfig, load_preset
from monitor.durations import Window, parse_window, subtract_months
from monitor.records import (
    ColumnObservation,
    FailureHistory,
    LinkCheck,
    LinkOccurrence,
    LinkProblem,
    RunRecord,
)
from monitor.rules import assess_site, column_parents, is_definite, judge_link
from monitor.workdays import WorkdayCalendar

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2024, 7, 20)
HOME = "http://x.gov.cn/"
RUN = RunRecord(
    1, "x", "crawl", "complete", datetime(2024, 7, 19), datetime(2024, 7, 19), 10, 20, "finished"
)


@pytest.fixture(scope="module")
def preset() -> Preset:
    return load_preset("national-2019", ROOT / "config")


def site(*columns: tuple[str, str] | tuple[str, str, str]) -> SiteConfig:
    return SiteConfig(
        id="x",
        name="某县",
        home=HOME,
        columns=tuple(
            ColumnConfig(
                name=c[0],
                url=f"{HOME}{i}/",
                category=c[1],
                max_age=parse_window(c[2]) if len(c) > 2 else None,
            )  # type: ignore[misc]
            for i, c in enumerate(columns)
        ),
    )


def observed(
    name: str, newest: date | None, status: str = "ok", home: bool = False
) -> ColumnObservation:
    return ColumnObservation(
        column_name=name,
        url=HOME if home else f"{HOME}{name}/",
        is_homepage=home,
        status=status if newest or status == "error" else "empty",
        http_status=404 if status == "error" else 200,
        error="HTTP 404" if status == "error" else None,
        item_count=3 if newest else 0,
        dated_count=3 if newest else 0,
        pages_read=1,
        newest_date=newest,
        newest_title="标题" if newest else None,
        newest_url=f"{HOME}a.html" if newest else None,
        newest_date_text=None,
        newest_date_source="list" if newest else None,
        observed_at=datetime(2024, 7, 19),
    )


def kinds(
    preset: Preset,
    s: SiteConfig,
    observations: list[ColumnObservation],
    problems: tuple[LinkProblem, ...] = (),
    as_of: date = AS_OF,
) -> list[tuple[str, str]]:
    result = assess_site(
        s,
        preset,
        as_of,
        WorkdayCalendar(),
        RUN,
        [observed("首页", as_of, home=True), *observations],
        problems,
    )
    return [
        (f.kind, getattr(f, "column", None) or getattr(f, "check", "")) for f in result.findings
    ]


@pytest.mark.parametrize(
    ("category", "boundary"),
    [
        ("news", date(2024, 7, 6)),  # 14 days
        ("notice", date(2024, 1, 20)),  # 6 calendar months
        ("policy", date(2024, 1, 20)),
        ("personnel", date(2023, 7, 20)),  # 1 year
        ("planning", date(2023, 7, 20)),
    ],
)
def test_window_boundary_is_fresh_and_one_day_past_is_stale(
    preset: Preset, category: str, boundary: date
) -> None:
    s = site(("栏目", category))
    assert kinds(preset, s, [observed("栏目", boundary)]) == []
    before = date.fromordinal(boundary.toordinal() - 1)
    assert kinds(preset, s, [observed("栏目", before)]) == [("stale_column", "栏目")]


def test_stale_evidence(preset: Preset) -> None:
    s = site(("政务动态", "news"))
    result = assess_site(
        s, preset, AS_OF, WorkdayCalendar(), RUN, [observed("政务动态", date(2024, 7, 5))], ()
    )
    finding = result.findings[0]
    assert finding.kind == "stale_column"
    assert (finding.age_days, finding.max_age_days, finding.window) == (15, 14, "14d")  # type: ignore[union-attr]


def test_operator_override_and_categories_without_window(preset: Preset) -> None:
    s = site(("专题", "other"), ("动态", "news", "30d"))
    observations = [observed("专题", date(2020, 1, 1)), observed("动态", date(2024, 6, 25))]
    assert kinds(preset, s, observations) == []
    observations[1] = observed("动态", date(2024, 6, 19))
    assert kinds(preset, s, observations) == [("stale_column", "动态")]


def test_empty_and_unreachable_columns(preset: Preset) -> None:
    s = site(("空栏目", "other"), ("坏栏目", "news"), ("未采集", "news"))
    found = kinds(preset, s, [observed("空栏目", None), observed("坏栏目", None, "error")])
    assert found == [("empty_column", "空栏目"), ("column_unreachable", "坏栏目")]


def test_workday_windows(preset: Preset) -> None:
    workday_preset = preset.model_copy(
        update={
            "categories": {
                **preset.categories,
                "news": preset.categories["news"].model_copy(
                    update={"days": "workdays", "max_age": Window(5, "d")}
                ),
            }
        }
    )
    s = site(("动态", "news"))
    # 2024-10-08 (Tue) minus 5 working days skips the National Day holiday (10-01..10-07)
    # and counts the 调休 Sunday 2024-09-29 (30, 29, 27, 26, 25): the boundary is 2024-09-25.
    as_of = date(2024, 10, 8)
    assert kinds(workday_preset, s, [observed("动态", date(2024, 9, 25))], as_of=as_of) == []
    assert kinds(workday_preset, s, [observed("动态", date(2024, 9, 24))], as_of=as_of) == [
        ("stale_column", "动态")
    ]


def test_workday_calendar_falls_back_to_weekdays_for_unknown_years(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calendar = WorkdayCalendar()
    assert calendar.is_workday(date(2099, 1, 5)) is True  # a Monday
    assert calendar.is_workday(date(2099, 1, 3)) is False  # a Saturday
    assert "does not know 2099" in caplog.text
    overridden = WorkdayCalendar(holidays=frozenset({date(2099, 1, 5)}))
    assert overridden.is_workday(date(2099, 1, 5)) is False


def test_calendar_months_clamp() -> None:
    assert subtract_months(date(2024, 8, 31), 6) == date(2024, 2, 29)
    assert subtract_months(date(2024, 1, 31), 1) == date(2023, 12, 31)


@pytest.mark.parametrize(
    ("count", "expected"), [(2, []), (3, ["site_warning"]), (5, ["site_veto"])]
)
def test_stale_column_veto_and_warning(preset: Preset, count: int, expected: list[str]) -> None:
    names = [f"栏目{i}" for i in range(count)]
    s = site(*[(n, "news") for n in names])
    found = kinds(preset, s, [observed(n, date(2024, 1, 1)) for n in names])
    assert [k for k, check in found if check == "columns_not_updated"] == expected


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, []), (2, ["site_warning"]), (4, ["site_warning"]), (5, ["site_veto"])],
)
def test_empty_column_veto(preset: Preset, count: int, expected: list[str]) -> None:
    names = [f"空{i}" for i in range(count)]
    s = site(*[(n, "other") for n in names])
    found = kinds(preset, s, [observed(n, None) for n in names])
    assert [k for k, check in found if check == "empty_columns"] == expected


@pytest.mark.parametrize(
    ("newest", "expected"),
    [
        (date(2024, 7, 10), []),
        (date(2024, 7, 9), ["site_warning"]),
        (date(2024, 7, 6), ["site_warning"]),
        (date(2024, 7, 5), ["site_veto"]),
    ],
)
def test_homepage_not_updated(preset: Preset, newest: date, expected: list[str]) -> None:
    s = site()
    result = assess_site(
        s, preset, AS_OF, WorkdayCalendar(), RUN, [observed("首页", newest, home=True)], ()
    )
    assert [f.kind for f in result.findings] == expected


def check(status: int | None, error: str | None = None, internal: bool = True) -> LinkCheck:
    return LinkCheck(
        url_key=f"{HOME}a",
        url=f"{HOME}a",
        internal=internal,
        method="GET",
        status=status,
        error=error,
        error_detail=None,
        final_url=None,
    )


@pytest.mark.parametrize(
    ("link", "definite"),
    [
        (check(404), True),
        (check(410), True),
        (check(403), True),
        (check(403, internal=False), False),
        (check(None, "dns"), True),
        (check(500), False),
        (check(503), False),
        (check(429), False),
        (check(None, "timeout"), False),
        (check(None, "connection_refused"), False),
        (check(None, "connection_lost"), False),
        (check(None, "malformed_url"), True),  # no later crawl can find it working
        (check(200, "blocked"), False),
    ],
)
def test_definite_versus_suspected(preset: Preset, link: LinkCheck, definite: bool) -> None:
    assert is_definite(link, preset.links) is definite


def test_dead_link_on_homepage(preset: Preset) -> None:
    occurrence = LinkOccurrence(HOME, f"{HOME}a", f"{HOME}a", "a", "href", "附件")
    elsewhere = replace(occurrence, source_url=f"{HOME}p.html")
    problems = (LinkProblem(check(404), (occurrence, elsewhere)),)
    result = assess_site(
        site(),
        preset,
        AS_OF,
        WorkdayCalendar(),
        RUN,
        [observed("首页", AS_OF, home=True)],
        problems,
    )
    link = result.findings[0]
    assert link.kind == "dead_link"
    assert link.on_homepage is True  # type: ignore[union-attr]
    assert link.sources == (HOME, f"{HOME}p.html")  # type: ignore[union-attr]


def test_a_page_behind_a_login_is_no_dead_link(preset: Preset) -> None:
    occurrence = LinkOccurrence(HOME, f"{HOME}a", f"{HOME}a", "a", "href", "内网")
    problems = tuple(LinkProblem(check(status), (occurrence,)) for status in (401, 404))
    home = [observed("首页", AS_OF, home=True)]
    result = assess_site(site(), preset, AS_OF, WorkdayCalendar(), RUN, home, problems)
    assert [getattr(f, "status", None) for f in result.findings] == [404]


def test_no_complete_run_is_said_loudly(preset: Preset) -> None:
    result = assess_site(site(("动态", "news")), preset, AS_OF, WorkdayCalendar(), None, [], ())
    assert result.verdict == "unknown"
    assert [f.kind for f in result.findings] == ["no_data"]


@pytest.mark.parametrize(
    ("name", "parents", "category"),
    [
        ("领导活动", (), "news"),  # county sites' news columns by other names
        ("政务信息", (), "news"),
        ("政务信息公开", (), "other"),  # the 信息公开 parent, not a 政务信息 column
        ("年度报告", ("政府信息公开",), "other"),
        ("通知公告", ("政府信息公开",), "notice"),
        # news about a 重点领域 is news: the name's last word says what the column is
        ("乡村振兴动态", (), "news"),
        ("安全生产要闻", (), "news"),
        ("乡村振兴", (), "key-area"),
        ("重大项目公示", (), "key-area"),  # only news words win at the end
    ],
)
def test_column_names_classify_by_the_longest_keyword(
    preset: Preset, name: str, parents: tuple[str, ...], category: str
) -> None:
    assert classify(name, preset, parents).category == category


def test_a_columns_parent_is_the_column_whose_folder_holds_it() -> None:
    """The crawl names a column's parent by the first page whose menu named it: a sibling's
    left menu (县域影像 under 通知公告), or the top (a homepage box). A column in a folder below
    another's is under the deepest such; one found under a column below its own is not; flat
    URLs keep what the crawl found."""

    def column(name: str, path: str, parent: str | None) -> ColumnObservation:
        return replace(
            observed(name, date(2024, 7, 1)),
            url=f"{HOME}{path}",
            discovered=True,
            parent_name=parent,
        )

    found = column_parents(
        [
            column("新闻中心", "xwzx/", "通知公告"),  # named first by a page below it
            column("通知公告", "xwzx/tzgg/", None),  # a homepage box's 更多
            column("县域影像", "xwzx/xyyx/", "通知公告"),  # its sibling's left menu
            column("图片新闻", "xwzx/tpxw/index.html", "新闻中心"),  # right already
            column("工作动态", "col/col101/", "领导信息"),  # flat URLs: as found
            column("领导信息", "col/col100/", None),
        ]
    )
    assert found == {
        "新闻中心": None,
        "通知公告": "新闻中心",
        "县域影像": "新闻中心",
        "图片新闻": "新闻中心",
        "工作动态": "领导信息",
        "领导信息": None,
    }


@pytest.mark.parametrize(
    ("status", "error", "nights", "definite"),
    [
        (500, None, 1, False),  # suspected on the first night
        (500, None, 2, True),  # confirmed by the second
        (None, "timeout", 3, True),
        (429, "blocked", 3, False),  # the server would not let us check: it says nothing
        (403, "blocked", 5, False),  # a firewall's page, however long
        (404, None, 1, True),
    ],
)
def test_a_suspected_link_is_confirmed_by_nights_unless_it_was_blocked(
    preset: Preset, status: int | None, error: str | None, nights: int, definite: bool
) -> None:
    url = "http://other.gov.cn/a.html"
    check = LinkCheck(url, url, False, "GET", status, error, None, url)
    problem = LinkProblem(check, (LinkOccurrence(HOME, url, url, "a", "href", "链接"),))
    seen = datetime(2024, 7, 19)
    found = judge_link(site(), problem, {HOME}, preset.links, FailureHistory(seen, seen, nights))
    assert found.definite is definite
