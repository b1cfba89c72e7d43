"""Config loading: the public keys, and errors that name file, line, entry and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.durations import Window
from monitor.yamlsource import ConfigError

ROOT = Path(__file__).resolve().parent.parent

GOOD = """\
sites:
  - id: longnan
    name: 龙南市人民政府
    owner: 龙南市政务和数据服务中心
    home: https://www.example.gov.cn/
    max_pages: 50000
    columns:
      - name: 政务动态
        url: https://www.example.gov.cn/zwdt/
        category: news
        max_age: 14d
      - name: 通知公告
        url: https://www.example.gov.cn/tzgg/
        category: notice
rules: national-2019
"""


def write(tmp_path: Path, text: str, name: str = "sites.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return str(caught.value)


def test_the_documented_example_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    site = config.site("longnan")
    assert site.owner == "龙南市政务和数据服务中心"
    assert site.max_pages == 50000
    assert site.columns[0].max_age == Window(14, "d")
    assert site.columns[1].max_age is None
    preset = config.rule_preset
    assert preset.categories["news"].max_age == Window(14, "d")
    assert preset.categories["notice"].max_age == Window(6, "m")
    assert preset.categories["policy"].max_age == Window(6, "m")
    assert preset.categories["personnel"].max_age == Window(1, "y")
    assert preset.categories["planning"].max_age == Window(1, "y")
    assert preset.categories["other"].max_age is None
    assert preset.vetoes.stale_columns == 5
    assert preset.vetoes.empty_columns == 5


def test_shipped_example_config_is_valid() -> None:
    config = load_config(ROOT / "config" / "example.yaml")
    assert config.sites


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        (
            ("    max_pages: 50000\n", "    max_pages: 50000\n    colums: []\n"),
            "sites.yaml:7: sites[0] (longnan).colums: unknown key 'colums'; expected one of: id, name,",
        ),
        (
            ("category: news", "category: newz"),
            "sites.yaml:10: sites[0] (longnan).columns[0] (政务动态).category: unknown category 'newz'; expected one of: news, notice",
        ),
        (
            ("max_age: 14d", "max_age: 14x"),
            "sites.yaml:11: sites[0] (longnan).columns[0] (政务动态).max_age: expected a window like 14d",
        ),
        (
            ("home: https://www.example.gov.cn/", "home: www.example.gov.cn"),
            "sites.yaml:5: sites[0] (longnan).home: expected an http:// or https:// URL with a host",
        ),
        (
            ("id: longnan", "id: Long Nan"),
            "sites.yaml:2: sites[0] (Long Nan).id: expected lowercase letters, digits, '_' or '-'",
        ),
        (
            ("    name: 龙南市人民政府\n", ""),
            "sites.yaml:2: sites[0] (longnan).name: missing required",
        ),
        (
            ("rules: national-2019", "rules: provincial-9"),
            "sites.yaml:15: rules: rule preset 'provincial-9' not found",
        ),
        (
            ("max_pages: 50000", "max_pages: 0"),
            "sites.yaml:6: sites[0] (longnan).max_pages: Input should be greater than 0",
        ),
    ],
)
def test_errors_name_file_line_entry_and_field(
    tmp_path: Path, mutation: tuple[str, str], expected: str
) -> None:
    old, new = mutation
    assert old in GOOD
    message = errors_of(tmp_path, GOOD.replace(old, new, 1))
    assert f"{tmp_path / expected.split(':', maxsplit=1)[0]}:{expected.split(':', 1)[1]}" in message


def test_duplicate_site_ids(tmp_path: Path) -> None:
    twice = GOOD.replace("rules: national-2019\n", "") + GOOD.split("sites:\n")[1]
    message = errors_of(tmp_path, twice)
    assert "sites[1] (longnan).id: duplicate site id 'longnan' (first used on line 2)" in message


def test_duplicate_yaml_keys_and_syntax(tmp_path: Path) -> None:
    message = errors_of(tmp_path, GOOD.replace("    owner:", "    name: 重复\n    owner:"))
    assert "sites.yaml:4: duplicate key 'name' (first on line 3)" in message
    message = errors_of(tmp_path, "sites:\n  - id: [unclosed\n")
    assert "sites.yaml:3: invalid YAML" in message


def test_workday_windows_must_be_days(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "local.yaml").write_text(
        "name: local\ncategories:\n  news: { label: 动态, max_age: 2w, days: workdays }\n",
        encoding="utf-8",
    )
    message = errors_of(tmp_path, "sites: []\nrules: local\n")
    assert (
        "local.yaml:3: categories.news.max_age: 'days: workdays' needs a window in days" in message
    )
