"""Sphinx configuration of the course website (one configuration, built once per language by website/build.py).

`website/build.py` stages the sources of one language in build/site-work/src/<lang>/ and runs
``sphinx-build -c website -D language=<lang>``; the settings that differ between the two builds come from
``language`` and from the environment variables the builder sets (the execution cache of that language).
"""

from __future__ import annotations

import filecmp
import importlib.util
import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # autodoc imports metaopt_lib from this checkout

language = "en"  # the builder passes -D language=en|ru (Sphinx's search stems words of this language)
project = "metaopt"
author = "metaopt course"
copyright = "metaopt course"

extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.mathjax"]
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["site.css"]
html_favicon = "_static/favicon.svg"
html_theme = "furo"
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
exclude_patterns = ["_build", "**.ipynb_checkpoints", "assignments/released"]  # released: downloads only

# --- MyST and notebook execution (MyST-NB with jupyter-cache) -----------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "html_image"]
myst_heading_anchors = 3
myst_dmath_double_inline = True  # `$$…$$` inside a paragraph is display math, as in JupyterLab
nb_execution_mode = "cache"  # a notebook is executed again only when its code cells change
nb_execution_cache_path = os.environ.get("METAOPT_SITE_CACHE", str(ROOT / "build" / "site-work" / "cache"))
nb_execution_excludepatterns = ["assignments/*"]  # the released assignments are shown as students get them
nb_execution_timeout = 600
nb_execution_raise_on_error = True  # a lecture that fails must fail the build, not ship a traceback
nb_execution_show_tb = True
nb_merge_streams = True
# No widget JavaScript from a CDN: the site is offline. Widgets are rendered as static figures by the builder.
nb_ipywidgets_js = {}
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None),
                              ("html", "application/vnd.jupyter.widget-state+json", None)]

# --- API reference ----------------------------------------------------------------------------------------------
autodoc_default_options = {"members": True, "undoc-members": True, "member-order": "bysource"}
autodoc_typehints = "signature"
autodoc_mock_imports: list[str] = []

# --- math: MathJax 3 shipped by the PyPI package sphinx-mathjax-offline, copied into the build ---------------------
mathjax_path = "mathjax/tex-chtml.js"
# what tex-chtml.js loads at run time: TeX extensions (autoload), fonts, the context menu and its a11y modules
MATHJAX_PARTS = ("tex-chtml.js", "input/tex/extensions", "output/chtml/fonts/woff-v2", "ui", "a11y")

TEXTS = {
    "en": {"title": "Hyperparameters, metaparameters and meta-optimization", "other": "ru",
           "switch": "Русская версия"},
    "ru": {"title": "Гиперпараметры, метапараметры и метаоптимизация", "other": "en",
           "switch": "English version"},
}


def mathjax_source() -> Path:
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("sphinx-mathjax-offline is not installed: `make venv` installs requirements.txt")
    return Path(list(spec.submodule_search_locations)[0]) / "static" / "mathjax"


def copy_mathjax(app, exc) -> None:
    """Copy the parts of MathJax the pages use into _static/mathjax (files already there and equal are kept)."""
    if exc is not None or app.builder.format != "html":
        return
    src, dst = mathjax_source(), Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        files = [src / part] if (src / part).is_file() else sorted(p for p in (src / part).rglob("*") if p.is_file())
        for path in files:
            target = dst / path.relative_to(src)
            if not (target.exists() and filecmp.cmp(path, target, shallow=False)):
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)


def page_context(app, pagename, templatename, context, doctree) -> None:
    """Every page links to the same page of the other language's build (both builds have the same page names)."""
    texts = TEXTS[app.config.language]
    up = "../" * (pagename.count("/") + 1)
    context["lang_switch_url"] = f"{up}{texts['other']}/{pagename}.html"
    context["lang_switch_label"] = texts["switch"]
    context["lang_switch_code"] = texts["other"]


def config_inited(app, config) -> None:
    texts = TEXTS.get(config.language)
    if texts is None:
        raise ValueError(f"language must be one of {sorted(TEXTS)}, got {config.language!r}")
    config.html_title = texts["title"]


def setup(app):
    # MathJax on every page, not only on pages with math in the body: lecture and assignment titles with formulas
    # appear in every page's navigation
    app.set_html_assets_policy("always")
    app.connect("config-inited", config_inited)
    app.connect("html-page-context", page_context)
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True}


html_sidebars = {"**": ["sidebar/brand.html", "sidebar/lang-switch.html", "sidebar/search.html",
                        "sidebar/scroll-start.html", "sidebar/navigation.html", "sidebar/scroll-end.html"]}
