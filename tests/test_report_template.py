"""Dead links in a site's page template (a footer's 友情链接 on every page), rendered from a real
SQLite file filled by the store: named once as the template's on both link pages, not repeated
on each page of the by-page view (but the homepage), every occurrence kept in the 台账."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import html as lxml_html

from monitor.assessments import assess
from monitor.config import Config
from monitor.database import open_database
from reports.render import write_reports
from tests.reportkit import HOME, check, county_config, on, store_crawl

AS_OF = date(2024, 7, 20)
FOOTER = "http://partner.invalid/"  # the footer's 友情链接, on the homepage and 30 articles
CITED = "http://x.gov.cn/zcwj/old-policy.html"  # a document 12 articles cite in their words
OWN = "http://x.gov.cn/zwdt/picture.jpg"  # one article's own dead picture
ARTICLES = [f"http://x.gov.cn/zwdt/{i}.html" for i in range(30)]


def _report(tmp_path: Path, config: Config, site_pages: int, lang: str = "zh") -> Path:
    db = f"sqlite:///{tmp_path / 'g.db'}"
    occurrences = [on(page, FOOTER, "友情链接：某某网") for page in (HOME, *ARTICLES)]
    occurrences += [on(page, CITED, f"《办法》第{i}条") for i, page in enumerate(ARTICLES[:12])]
    occurrences.append(on(ARTICLES[29], OWN, "", tag="img"))
    checks = [check(FOOTER, None, "dns"), check(CITED, 404), check(OWN, 404)]
    store_crawl(db, datetime(2024, 7, 19), checks, occurrences, pages=site_pages)
    out = tmp_path / "out"
    write_reports(assess(open_database(db), config, AS_OF), config.rule_preset, out, lang=lang)
    return out


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return county_config(tmp_path)


def test_a_template_link_is_named_once_and_not_repeated_on_each_page(
    tmp_path: Path, config: Config
) -> None:
    out = _report(tmp_path, config, site_pages=40)
    tree = lxml_html.fromstring((out / "links-by-page.html").read_text(encoding="utf-8"))
    rows = tree.xpath("//table[@class='template-links']//tr[td]")
    assert [row.xpath("string(td[1]/a)") for row in rows] == [FOOTER]
    assert rows[0].xpath("string(td[5])") == "友情链接：某某网"
    assert "共 31 个页面有此链接" in rows[0].xpath("string(td[6])")
    # The pages below: the homepage (its template link too), the citing articles and the one
    # with its own picture; not the 18 articles whose only dead link is the template's.
    pages = {
        str(group.xpath("string(tr[@class='page-head']//a)")): [
            str(row.xpath("string(td[1]/a)")) for row in group.xpath("tr[td]")
        ]
        for group in tree.xpath("//table[@class='link-pages']/tbody")
    }
    assert set(pages) == {HOME, *ARTICLES[:12], ARTICLES[29]}
    assert pages[HOME] == [FOOTER]
    assert pages[ARTICLES[0]] == [CITED]
    assert pages[ARTICLES[29]] == [OWN]

    links = lxml_html.fromstring((out / "links.html").read_text(encoding="utf-8"))
    notes = {
        str(row.xpath("string(td[1]/a)")): str(
            row.xpath("string(td[6]//div[@class='template-note'])")
        )
        for row in links.xpath("//table[@class='links']//tr[td]")
    }
    assert notes[FOOTER] == "网站模板中的链接：出现在 31 个页面，在模板中修改一次即可。"
    assert notes[CITED] == ""  # cited in each article's own words: no template's
    assert notes[OWN] == ""

    with (out / "links-by-page.csv").open(encoding="utf-8-sig") as handle:
        ledger = list(csv.reader(handle))[1:]
    assert len(ledger) == 31 + 12 + 1  # the 台账 keeps every place


def test_a_link_on_a_small_share_of_a_big_sites_pages_is_no_templates(
    tmp_path: Path, config: Config
) -> None:
    """31 pages of a site of 400 (under a fifth): a column's own box, listed page by page."""
    out = _report(tmp_path, config, site_pages=400)
    page = (out / "links-by-page.html").read_text(encoding="utf-8")
    assert "template-links" not in page
    tree = lxml_html.fromstring(page)
    assert len(tree.xpath("//table[@class='link-pages']/tbody")) == 31


def test_the_template_block_in_english(tmp_path: Path, config: Config) -> None:
    out = _report(tmp_path, config, site_pages=40, lang="en")
    by_page = lxml_html.fromstring((out / "links-by-page.html").read_text(encoding="utf-8"))
    assert by_page.xpath("string(//h3)") == "Dead links in the site's page template"
    assert by_page.xpath("string(//table[@class='template-links']//summary)") == "on 31 pages"
    links = lxml_html.fromstring((out / "links.html").read_text(encoding="utf-8"))
    assert links.xpath("string(//div[@class='template-note'])") == (
        "In the site's page template: on 31 pages; fix it once in the template."
    )
