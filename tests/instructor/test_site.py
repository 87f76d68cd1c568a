"""The course website (`make site`, website/build.py): built once per session, then opened in a real headless
Chromium (Debian's /usr/bin/chromium, driven by Playwright) served from 127.0.0.1.

Checked: every page of both languages loads with no console error and no failed request; formulas are typeset by
the local MathJax (MathJax output present, no TeX error, no raw `$$` left in the text); every image has loaded; the
language switch of every lecture reaches the same lecture in the other language; the search finds terms in each
language (the Russian one through an inflected form, so the Russian stemmer is exercised); no page loads a script,
stylesheet or image from another host; every lecture links the library functions it uses to the API reference;
no solution or hidden-test line of `solutions/` appears in the site's text.
"""

from __future__ import annotations

import functools
import html
import http.server
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "build" / "site"
WORK = ROOT / "build" / "site-work"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LANGS = ("en", "ru")
BUILD_TIMEOUT_S = 1800

sys.path.insert(0, str(ROOT / "website"))
import build as site_build  # noqa: E402  (website/build.py)

pytestmark = [pytest.mark.timeout(BUILD_TIMEOUT_S + 600), pytest.mark.serial_heavy]


def lectures(lang: str) -> list[str]:
    return sorted(p.stem for p in (ROOT / "lectures" / lang).glob("*.ipynb"))


def lecture_code(lang: str, stem: str) -> str:
    nb = nbformat.read(ROOT / "lectures" / lang / f"{stem}.ipynb", as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


# --- fixtures: one build, one server, one browser per session ------------------------------------------------------

@pytest.fixture(scope="session")
def site() -> Path:
    """`make site`'s command, run once per session (incremental when build/site-work is already there)."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(ROOT / "website" / "build.py")], cwd=ROOT, capture_output=True,
                          text=True, timeout=BUILD_TIMEOUT_S)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    print(f"\nsite built in {time.perf_counter() - t0:.0f} s:\n{proc.stdout}")
    return SITE


@pytest.fixture(scope="session")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D102 - keep the test output readable
        pass


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


# --- the builder's own logic (no build needed) ---------------------------------------------------------------------

def test_used_functions_finds_module_attributes_and_imported_names():
    exports = {"metaopt_lib.hypergrad": ["hvp", "neumann_inverse_hvp"], "metaopt_lib.data": ["load_digits"],
               "metaopt_course.widgets": ["interact"]}
    code = ("from metaopt_lib import hypergrad as hg\nfrom metaopt_lib.data import load_digits\n"
            "import metaopt_course.widgets as mw\n"
            "x = hg.hvp(f, w, v)\ny = hg._private(1)\nz = hg.not_exported\nmw.interact(cb)\n")
    assert site_build.used_functions(code, exports) == [
        "metaopt_course.widgets.interact", "metaopt_lib.data.load_digits", "metaopt_lib.hypergrad.hvp"]
    assert site_build.used_functions("this is not python (", exports) == []


def test_display_math_over_several_lines_is_joined_outside_code():
    text = "Implement\n$$L = a\n+ b\n- c$$\nafter\n```\n$$x\n+ y$$\n```\n$$p\n% comment\n+ q$$"
    assert site_build.join_display_math(text) == (
        "Implement\n$$L = a + b - c$$\nafter\n```\n$$x\n+ y$$\n```\n$$p\n% comment\n+ q$$")


def test_staging_twice_rewrites_nothing(tmp_path):
    """Sphinx re-reads a page when its staged file's time changes: an unchanged course must stage to no change."""
    first = site_build.stage("en", tmp_path / "en")
    second = site_build.stage("en", tmp_path / "en")
    assert first["changed"] == first["files"] > 0 and second["changed"] == 0
    assert first["lectures"] == len(lectures("en"))


def test_the_student_distribution_can_build_the_site(tmp_path):
    """`make site` is in the student Makefile, and the builder stages both languages from the distribution's
    files alone (no solutions there, so no leak search to run)."""
    from metaopt_instructor import dist

    folder, _ = dist.build(tmp_path / "dist")
    assert "\nsite: $(STAMP)\n\t$(PY) website/build.py" in (folder / "Makefile").read_text(encoding="utf-8")
    assert not (folder / "solutions").exists()
    for lang in LANGS:
        staged = site_build.stage(lang, tmp_path / "src" / lang, root=folder)
        assert staged["lectures"] == len(lectures(lang)) and staged["assignments"] == 8


# --- the built site, as files ----------------------------------------------------------------------------------------

def test_both_languages_have_the_same_pages(site):
    pages = {lang: {p.relative_to(site / lang).as_posix() for p in html_pages(site / lang)} for lang in LANGS}
    assert pages["en"] == pages["ru"]
    for lang in LANGS:
        assert {f"lectures/{s}.html" for s in lectures(lang)} <= pages[lang]
        released = {f"assignments/{p.stem}.html" for p in (ROOT / "assignments").glob("*/*.ipynb")}
        assert released and released <= pages[lang]
        assert {"index.html", "search.html", "submit.html", "instructors.html", "api/index.html"} <= pages[lang]
    print(f"\npages per language: {len(pages['en'])}")


TAG = re.compile(r"<(script|link|img|source|iframe|video|audio|embed|object)\b([^>]*)>", re.I)
URL_ATTR = re.compile(r"\b(?:src|href|srcset|data)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.I)


def page_text(path: Path) -> str:
    """The text a reader sees of a built page: tags removed (so highlighting spans are undone), entities decoded."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", path.read_text("utf-8"), flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def test_no_resource_from_another_host(site):
    bad = []
    for path in html_pages(site):
        for tag, attrs in TAG.findall(path.read_text(encoding="utf-8")):
            for groups in URL_ATTR.findall(attrs):
                url = "".join(groups).strip()
                if urlsplit(url).scheme in ("http", "https", "ftp") or url.startswith("//"):
                    bad.append(f"{path.relative_to(site)}: <{tag} {url}>")
    for path in site.rglob("*.css"):
        for url in re.findall(r"(?:url\(|@import\s+)['\"]?((?:https?:)?//[^'\")\s]+)", path.read_text("utf-8")):
            bad.append(f"{path.relative_to(site)}: {url}")
    assert not bad, "\n".join(bad[:20])


def test_the_external_url_scan_can_fail(tmp_path):
    page = tmp_path / "p.html"
    page.write_text('<link rel="stylesheet" href="https://cdn.example.org/x.css"><img alt=x src=//cdn.example.org/y.png>'
                    '<a href="https://example.org">a link is fine</a>', encoding="utf-8")
    with pytest.raises(AssertionError, match="cdn.example.org/x.css") as err:
        test_no_resource_from_another_host(tmp_path)
    assert "cdn.example.org/y.png" in str(err.value) and "example.org\">" not in str(err.value)


def test_lectures_link_the_library_functions_they_use(site):
    for lang in LANGS:
        for stem in lectures(lang):
            page = (site / lang / "lectures" / f"{stem}.html").read_text("utf-8")
            links = re.findall(r'href="(\.\./api/metaopt_lib\.[\w.]+\.html#[\w.]+)"', page)
            code = "\n".join(c.source for c in nbformat.read(ROOT / "lectures" / lang / f"{stem}.ipynb",
                                                            as_version=4).cells if c.cell_type == "code")
            imported = set(re.findall(r"from metaopt_lib(?:\.(\w+))? import (\w+)", code))
            if not imported:  # a lecture without library code (the notation) has no list to check
                continue
            assert links, f"{lang}/{stem}: no link to the API reference"
            for href in links:  # the anchor exists on the API page
                page, anchor = href.split("#")
                target = (site / lang / "lectures" / page).resolve()
                assert f'id="{anchor}"' in target.read_text("utf-8"), href
            for module, name in imported:  # e.g. `from metaopt_course.widgets import interact` is linked
                qual = f"metaopt_lib.{module}.{name}" if module else f"metaopt_lib.{name}."  # a name, or a module
                if qual in " ".join(links):
                    break
            else:
                pytest.fail(f"{lang}/{stem}: none of its `from metaopt_lib… import` names is linked: {imported}")


def test_no_solution_or_hidden_test_line_in_the_site(site):
    from test_student_dist import secrets  # the student distribution's own, independent leak search

    lines = secrets()
    assert lines, "no solution lines found: the search would prove nothing"
    texts = {}
    for path in html_pages(site):  # the text a reader sees (highlighting spans and escapes undone)
        texts[path] = page_text(path)
    downloads = list(site.rglob("*.ipynb"))
    assert len(downloads) == 2 * len(list((ROOT / "assignments").glob("*/*.ipynb")))
    for path in downloads:  # the assignment notebooks offered for download: the released files, byte for byte
        assert path.read_bytes() == (ROOT / "assignments" / path.stem / path.name).read_bytes(), path
        texts[path] = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    hits = [(p.relative_to(site).as_posix(), line) for p, text in texts.items() for line in lines if line in text]
    assert not hits, hits[:10]


# --- the built site, in a browser ---------------------------------------------------------------------------------

PAGE_STATE = """() => {
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container, .highlight').forEach(e => e.remove());
  const images = Array.from(document.images);
  return {
    lang: document.documentElement.lang,
    math: document.querySelectorAll('.math, div.math, span.math').length,
    typeset: document.querySelectorAll('mjx-container').length,
    texErrors: document.querySelectorAll('mjx-merror').length,
    rawDisplayMath: clone.innerText.includes('$$'),
    images: images.length,
    broken: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src')),
  };
}"""


def open_page(page, url: str) -> tuple[dict, list[str]]:
    """Open ``url``, wait for MathJax to finish, and return the page's state and the problems seen loading it."""
    problems = []
    handlers = {"console": lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
                "pageerror": lambda e: problems.append(f"page error: {e}"),
                # net::ERR_ABORTED is the browser cancelling a request (a favicon still loading when the test moves
                # to the next page), not a failure: a missing file shows as an HTTP 404 below, a refused or blocked
                # host as another net:: error
                "requestfailed": lambda r: None if "ERR_ABORTED" in str(r.failure)
                else problems.append(f"failed request: {r.url} {r.failure}"),
                "response": lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None}
    for event, handler in handlers.items():
        page.on(event, handler)
    try:
        page.goto(url, wait_until="load")
        if page.evaluate("() => typeof window.MathJax === 'object' && !!window.MathJax.startup"):
            page.evaluate("() => window.MathJax.startup.promise")
        page.evaluate("() => document.fonts.ready.then(() => true)")  # MathJax's fonts, requested while typesetting
        return page.evaluate(PAGE_STATE), problems
    finally:
        for event, handler in handlers.items():
            page.remove_listener(event, handler)


STATIC_WIDGET_NOTE = {"en": "Interactive figure, shown here at its default values",
                      "ru": "Интерактивный рисунок показан при значениях по умолчанию"}


def test_every_page_in_the_browser(site, server, page):
    t0 = time.perf_counter()
    failures, pages = [], html_pages(site)
    for path in pages:
        rel = path.relative_to(site).as_posix()
        state, problems = open_page(page, f"{server}/{rel}")
        lang = rel.split("/")[0]
        if lang in LANGS and state["lang"] != lang:
            problems.append(f"<html lang={state['lang']!r}>")
        if state["math"] and not state["typeset"]:
            problems.append(f"{state['math']} formulas, none typeset by MathJax")
        if state["texErrors"]:
            problems.append(f"{state['texErrors']} TeX errors")
        if state["rawDisplayMath"]:
            problems.append("raw $$ in the text")
        if state["broken"]:
            problems.append(f"images not loaded: {state['broken']}")
        if "/lectures/" in rel:  # executed: figures, typeset formulas, the widgets' static figures, how to run it
            article = page.inner_text("article")
            code = lecture_code(lang, path.stem)
            if "plt." in code and not state["images"]:
                problems.append(f"a lecture that plots, without figures: {state}")
            if "interact(" in code and STATIC_WIDGET_NOTE[lang] not in article:
                problems.append("a lecture with widgets, without their static figure")
            if "make lab" not in article:
                problems.append("no note on running the lecture in JupyterLab (`make lab`)")
        failures += [f"{rel}: {p}" for p in problems]
    print(f"\n{len(pages)} pages opened in {time.perf_counter() - t0:.0f} s")
    assert not failures, "\n".join(failures[:30])


@pytest.mark.parametrize("lang", LANGS)
def test_language_switch_reaches_the_counterpart(site, server, browser, lang):
    """From every lecture to the same lecture in the other language: from English by the link at the top of the
    lecture, from Russian by the sidebar link that every page has; then from the choice of language."""
    other = {"en": "ru", "ru": "en"}[lang]
    link = {"en": "a.lecture-lang-switch", "ru": ".sidebar-lang-switch a.lang-switch"}[lang]
    context = browser.new_context()
    # only the HTML matters here (every resource is checked in test_every_page_in_the_browser)
    context.route(re.compile(r".*\.(png|jpg|svg|woff2?|css|js)(\?.*)?$"), lambda route: route.abort())
    page = context.new_page()
    for stem in lectures(lang):
        page.goto(f"{server}/{lang}/lectures/{stem}.html", wait_until="domcontentloaded")
        with page.expect_navigation(wait_until="domcontentloaded"):
            page.click(link)
        assert page.url == f"{server}/{other}/lectures/{stem}.html"
        assert page.evaluate("document.documentElement.lang") == other
    page.goto(f"{server}/index.html")
    with page.expect_navigation(wait_until="domcontentloaded"):
        page.click(f"a[hreflang={lang}]")
    assert page.url == f"{server}/{lang}/index.html"
    context.close()


# (language, query, a page that must be found). The Russian query is an inflected form that occurs nowhere in the
# lecture as typed ("гиперпараметрам" → the stem of "гиперпараметры"), so only a Russian stemmer finds it.
SEARCHES = [("en", "hypernetworks", "lectures/06_hypernetworks.html"),
            ("en", "Reptile", "lectures/05_maml.html"),
            ("ru", "гиперсетям", "lectures/06_hypernetworks.html"),
            ("ru", "метапараметрам", "lectures/01_hyperparameters.html")]


@pytest.mark.parametrize("lang,query,expected", SEARCHES, ids=[q for _, q, _ in SEARCHES])
def test_search_finds_a_term(site, server, page, lang, query, expected):
    if lang == "ru":  # the page never has the query as typed: only stemming can find it
        text = page_text(site / lang / expected).lower()
        assert query not in text
    state, problems = open_page(page, f"{server}/{lang}/search.html?q={query}")
    page.wait_for_function("() => document.querySelectorAll('#search-results ul.search li').length > 0",
                           timeout=30_000)
    links = page.eval_on_selector_all("#search-results ul.search li a", "els => els.map(e => e.href)")
    assert any(link.split("?")[0].split("#")[0].endswith(f"/{lang}/{expected}") for link in links), links
    assert not problems, problems


def test_screenshots(site, server, page):
    """A lecture page in each language, for a person to look at (build/site-work/screenshots/): its top (title,
    the JupyterLab note, the language switch) and its first widget's static figure."""
    out = WORK / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    stem = next(s for s in lectures("en") if "interact(" in lecture_code("en", s))
    for lang in LANGS:
        open_page(page, f"{server}/{lang}/lectures/{stem}.html")
        page.screenshot(path=str(out / f"{lang}-{stem}-top.png"))
        page.get_by_text(STATIC_WIDGET_NOTE[lang]).first.scroll_into_view_if_needed()
        page.mouse.wheel(0, -500)
        page.wait_for_timeout(300)
        page.screenshot(path=str(out / f"{lang}-{stem}-widget.png"))
        for kind in ("top", "widget"):
            assert (out / f"{lang}-{stem}-{kind}.png").stat().st_size > 10_000
