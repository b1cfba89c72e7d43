"""Pages that answer but are not the page asked for, as government sites and their firewalls
really write them; and ordinary pages that only mention a missing page."""

from __future__ import annotations

import pytest

from crawler.extract.html import parse_html
from crawler.extract.softpages import fingerprint, is_block_page, soft_verdict


def _page(title: str, body: str) -> str:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>"


FRAME_TOP = (
    "<div class='top'>今天是2024年7月20日 星期六 欢迎访问某某市人民政府网站</div>"
    "<div class='nav'><a href='/'>首页</a><a href='/zwgk/'>政务公开</a><a href='/hdjl/'>互动交流</a></div>"
)
FRAME_FOOT = "<div class='foot'>主办单位：某某市人民政府办公室 电话：0797-1234567</div>"


@pytest.mark.parametrize(
    "html",
    [
        _page("404", "<img src='/images/404.png'><a href='/'>返回首页</a>"),
        _page("404页面-某某市人民政府", "<img src='/images/404.jpg'>"),
        _page("404 - 找不到文件或目录。", "<h2>404 - 找不到文件或目录。</h2>"),
        _page("HTTP Status 404 – Not Found", "<h1>HTTP Status 404 – Not Found</h1>"),
        # The site's frame around a one-line message (the text is a <br>'s tail).
        _page(
            "某某市人民政府",
            f"{FRAME_TOP}<div class='err'><img src='/images/404.png'><br>"
            f"抱歉，您访问的页面不存在或已被删除！<br><a href='/'>返回首页</a></div>{FRAME_FOOT}",
        ),
        _page("提示信息", "<table><tr><td>该文章已经被删除或者已经过期!</td></tr></table>"),
        # 大汉 jcms: a deleted article's page only says so in an alert, then goes back.
        _page("提示", "<script>alert('该信息不存在或已删除');history.back();</script>"),
        # The error in one part of the title, the site's name in the other.
        _page("页面不存在_某某市人民政府", f"{FRAME_TOP}<img src='/images/e.png'>{FRAME_FOOT}"),
        _page("某某市人民政府-404页面", f"{FRAME_TOP}<p>请返回首页</p>{FRAME_FOOT}"),
        _page("页面不存在提示-某某市人民政府", f"{FRAME_TOP}<img src='/images/e.png'>{FRAME_FOOT}"),
        # A list of what may have happened, each numbered.
        _page(
            "提示",
            "<p>您访问的页面可能存在以下问题：</p><p>1、该信息已被删除</p><p>2、网址错误</p>",
        ),
        # messages that name what is missing, or say it twice
        _page("提示", "<p>您要找的页面不存在</p>"),
        _page("提示", "<p>对不起，该稿件已被删除</p>"),
        _page("提示", "<p>系统提示：页面不存在</p>"),
        _page("提示", "<p>该条信息不存在或已删除</p>"),
        _page("提示", "<p>抱歉，您访问的页面走丢了！</p>"),
        _page("提示", "<p>抱歉，您访问的内容已删除</p>"),
        # 大汉's download module for a file that is gone
        _page("", "<script>alert('文件不存在！');history.back();</script>"),
        # the message below a long banner, or below a header's drop-down of 50 部门
        _page(
            "某某县人民政府",
            "<div class='top_banner'>" + "某某县人民政府门户网站欢迎您" * 20 + "</div>"
            "<div class='main'><p>该信息已删除</p></div>",
        ),
        _page(
            "某某县人民政府",
            "<select>"
            + "".join(f"<option>某某县第{n}部门</option>" for n in range(50))
            + "</select><div class='main'><p>对不起，您访问的页面不存在</p></div>",
        ),
        # withdrawn or expired, in the site's frame or in an alert before going back
        _page("某某市人民政府", f"{FRAME_TOP}<div class='content'><p>该信息已过期</p></div>"),
        _page("某某市人民政府", f"{FRAME_TOP}<p>对不起，该信息已撤销！</p>{FRAME_FOOT}"),
        _page("提示", "<p>抱歉，您查看的信息已撤销或已过期。</p>"),
        _page("提示", "<p>该页面已失效</p>"),
        _page("", "<script>alert('对不起，该文章已撤稿！');window.history.go(-1);</script>"),
        # the site's name as its header's heading, which every page's title ends with, and a
        # message box headed 提示信息 as the title begins
        _page(
            "示例县人民政府",
            "<div class='header'><h1>示例县人民政府</h1></div>"
            "<div class='main'><p>对不起，您访问的页面不存在！</p></div>",
        ),
        _page(
            "提示信息_示例县人民政府",
            "<div class='header'><h1>示例县人民政府</h1></div><div class='main'><h2>提示信息</h2>"
            "<p>抱歉，您访问的页面不存在！</p><p><a href='/'>返回首页</a></p></div>",
        ),
    ],
)
def test_soft_404_pages(html: str) -> None:
    assert soft_verdict(parse_html(html)) == "soft_404"


@pytest.mark.parametrize(
    "html",
    [
        # A notice about dead links, with its publication date: an article.
        _page(
            "关于开展网站404死链清理工作的通知",
            "<h1>关于开展网站404死链清理工作的通知</h1><div>发布时间：2024-07-01 来源：市政府办</div>"
            "<p>各单位：近期检查发现部分栏目页面不存在、出现404 Not Found错误，请及时整改。</p>",
        ),
        # A FAQ that answers "why does it say the page does not exist", undated.
        _page(
            "网站常见问题解答",
            "<h1>网站常见问题解答</h1><p>问：为什么显示页面不存在？</p><p>答：栏目已调整。</p>",
        ),
        _page(
            "关于网站改版期间部分页面不存在的说明",
            "<h1>关于网站改版期间部分页面不存在的说明</h1><p>发布日期：2024年7月1日</p><p>说明。</p>",
        ),
        _page(
            "通知公告",
            "<ul><li><a href='/a.html'>通知一</a> 2024-07-01</li></ul>"
            "<script>function go(){alert('页面不存在');history.back();}</script>",
        ),
        # A guide whose list says what is done when the information asked for does not exist.
        _page(
            "政府信息公开申请指南_某某市人民政府",
            f"{FRAME_TOP}<table><tr><td>依申请公开指南</td></tr><tr><td><p>三、答复：</p>"
            "<p>（一）所申请公开信息已经主动公开的，告知申请人获取途径；</p>"
            "<p>（二）所申请公开信息不存在的，告知申请人；</p></td></tr></table>"
            f"{FRAME_FOOT}",
        ),
        # Titles about missing pages, on articles dated the way CMSs without 发布日期 date them.
        _page(
            "关于开展网站404错误页面排查整改的通知",
            "<table><tr><td>关于开展网站404错误页面排查整改的通知</td></tr>"
            "<tr><td>来源：市政府办公室　　日期：2024-11-20　　【字体：大 中 小】</td></tr>"
            "<tr><td><p>请各单位完成自查。</p></td></tr></table>",
        ),
        _page(
            "关于网站页面不存在问题的整改情况",
            "<div class='bt'>关于网站页面不存在问题的整改情况</div>"
            "<div>时间：2024-11-20　来源：市大数据中心</div><p>已完成整改。</p>",
        ),
        # A news title that names the error, undated; a title with a count of 404.
        _page("我市开展政府网站404错误链接专项整治", "<p>近日，我市清理死链127条。</p>"),
        _page("某某镇-404名群众参加义诊活动", "<p>活动现场。</p>"),
        # Undated, headed by a styled div (TRS rarely uses h1): a FAQ question, a 信箱 letter.
        _page(
            "常见问题",
            "<div class='title'>常见问题</div><p>点击链接提示页面不存在，怎么办？</p>"
            "<p>请清除浏览器缓存后重试。</p>",
        ),
        _page(
            "县长信箱",
            "<div class='title'>关于政务公开栏目无法打开的咨询</div>"
            "<p>来信内容：点击政务公开栏目显示页面不存在。</p><p>回复时间：2023-11-20</p>",
        ),
        # a letter whose title is the words, beside its label (a cell, a bold label, inline)
        _page(
            "县长信箱",
            "<table><tr><td>留言标题：</td><td>网站页面不存在</td><td>留言时间：</td>"
            "<td>2024-10-01</td></tr><tr><td>答复单位：</td><td>县政务公开办</td></tr></table>",
        ),
        _page("县长信箱", "<p><b>信件标题：</b>网站页面不存在</p><p>已转相关单位办理。</p>"),
        _page("县长信箱", "<p>留言标题：网站页面不存在</p><p>已转相关单位办理。</p>"),
        # a 规范性文件 whose 效力 is 已失效 is still there
        _page(
            "关于印发某某管理办法的通知",
            "<table><tr><td>效力状态：</td><td>已失效</td></tr></table><p>各乡镇人民政府：</p>",
        ),
    ],
)
def test_pages_that_mention_a_missing_page_are_ordinary(html: str) -> None:
    assert soft_verdict(parse_html(html)) is None


@pytest.mark.parametrize(
    "html",
    [
        _page("网站防火墙", "<p>您的请求带有不合法参数，已被网站管理员设置拦截！</p>"),
        _page(
            "", "<p>当前访问疑似黑客攻击，已被网站管理员设置为拦截</p><p>腾讯云Web应用防火墙</p>"
        ),
        _page(
            "405", "<div>很抱歉，由于您访问的URL有可能对网站造成安全威胁，您的访问被阻断。</div>"
        ),
        _page("360网站卫士", "<p>您的访问请求可能对网站造成安全威胁，请求已被阻断</p>"),
        _page("创宇盾", "<p>您的访问被拦截：知道创宇云防御</p>"),
        _page("访问禁止", "<h3>您的访问请求可能对网站造成安全威胁</h3><p>事件ID：a1b2c3</p>"),
        # 加速乐 (521): an obfuscated cookie, then the same page again.
        (
            "<html><body><script>document.cookie=('_')+('_')+('j')+('s')+('l')+('_')+('c')"
            "+('l')+('e')+('a')+('r')+('a')+('n')+('c')+('e')+('=')+(-~[]+'');"
            "location.href=location.pathname+location.search</script></body></html>"
        ),
        # 云锁: a script that sets its cookie, then the page again with security_verify_data
        (
            "<html><head><script type='text/javascript' src='/yunsuo_session_verify.js'>"
            "</script></head><body><script>var screendate = verify_screen();"
            "self.location = '/a.html?security_verify_data=' + screendate;</script></body></html>"
        ),
        # a challenge that is only a script's address
        (
            "<html><head><title></title></head><body><noscript>Please enable JavaScript to view "
            "the page content.</noscript><script src='/cdn-cgi/challenge.js'></script></body></html>"
        ),
        # 瑞数 (412): its $_ts bootstrap and nothing else.
        (
            "<html><head><meta content='{qqqq}'><script r='m'>$_ts=window['$_ts'];if(!$_ts)"
            "$_ts={};$_ts.nsd=1;</script><script src='/abc/x.js' r='m'></script></head>"
            "<body></body></html>"
        ),
    ],
)
def test_firewall_pages_are_blocked(html: str) -> None:
    doc = parse_html(html)
    assert is_block_page(doc)
    assert soft_verdict(doc) == "blocked"


def test_a_cookie_and_a_redirect_elsewhere_is_not_a_challenge() -> None:
    doc = parse_html("<html><body><script>document.cookie='lang=zh';location.href='/zh/'</script>")
    assert not is_block_page(doc)


def _framed(body: str) -> str:
    """A site whose every page has one title and one frame (大汉 sites often do)."""
    return _page("某某县人民政府", f"{FRAME_TOP}{body}{FRAME_FOOT}")


def test_a_site_whose_pages_share_one_title_has_short_pages_of_its_own() -> None:
    missing = fingerprint(
        200, parse_html(_framed("<p>您访问的页面 /govwatch-surely-missing-1f2e.html 不存在！</p>"))
    )
    # The same answer for another missing URL (its path and the date differ): soft-404.
    for path in ("/zwgk/2024/art_9_31.html", "/uploadfiles/2023/关于印发实施方案的通知.doc"):
        again = _framed(f"<p>您访问的页面 {path} 不存在！</p>").replace("20日", "21日")
        assert soft_verdict(parse_html(again), missing) == "soft_404"
    # Pages of the site as short as that answer: a mailbox form, a list with one item.
    form = _framed(
        "<h3>县长信箱</h3><form>姓名<input name='n'> 电话<input name='t'>"
        "<textarea name='c'></textarea><input type='submit' value='提交'></form>"
    )
    one_item = _framed("<ul><li><a href='/art/1.html'>县政府常务会议</a> 2024-11-20</li></ul>")
    for page in (form, one_item):
        assert soft_verdict(parse_html(page), missing) is None
