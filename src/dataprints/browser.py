"""Open every page of the built book in headless Chromium and report what a reader would see
broken: a page or internal link that is not 200, an image that does not load, an error output
cell, ``NaN`` or a traceback in the text or outputs (source code aside), a script error, and
a scorecard that omits a claim of the results files. Failing pages are kept as screenshots.

``python -m dataprints.browser [_build/html] [--screenshots DIR]`` after ``dataprints book``;
it serves the folder on 127.0.0.1 and needs Playwright (pip) and a Chromium (Debian's
``chromium``; Playwright's own browser download cannot run offline).

The one request let go unanswered on purpose: MathJax, which Sphinx loads from a CDN
(:data:`MATHJAX`); offline it cannot load, so it is refused without counting as a failure, and
formulas stay as TeX text. Any other request leaving 127.0.0.1 is a failure, and so is any
script error but sphinx-thebe's doubled declaration (:data:`KNOWN_SCRIPT_ERRORS`).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import re
import shutil
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlparse

MATHJAX = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"  # sphinx.ext.mathjax
SKIPPED_FOLDERS = ("_static", "_sources", "_images", "reports", "jupyter_execute")
ERROR_CELLS = ".output.traceback, .output.error, div.cell_output .traceback"
BAD_TEXT = re.compile(r"\b(?:nan|NaN|NAN)\b|Traceback \(most recent call last\)")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
# sphinx-thebe (a Jupyter Book 1 default; this book has no Thebe cells) adds its configuration
# script twice to every page, so the second copy fails to redeclare a constant: harmless to a
# reader, and the only script error tolerated
KNOWN_SCRIPT_ERRORS = ("Identifier 'THEBE_JS_URL' has already been declared",)
REFRESH = re.compile(r'http-equiv="refresh"\s+content="\d+;\s*url=([^"]+)"', re.IGNORECASE)


@dataclass
class Page:
    """What went wrong on one page (nothing when ``problems`` is empty)."""

    path: str
    problems: list[str] = field(default_factory=list)
    screenshot: Path | None = None


def pages(html: Path) -> list[str]:
    """Every HTML page of the built site, relative to it (theme assets left out)."""
    return sorted(p.relative_to(html).as_posix() for p in html.rglob("*.html")
                  if not set(p.relative_to(html).parts[:-1]) & set(SKIPPED_FOLDERS))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib's name)
        """The checker reports failures itself; one log line per request is noise."""


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port) for the duration; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def chromium() -> str:
    """The path of an installed Chromium, or an error saying how to install one."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("no Chromium found: install Debian's `chromium` package "
                       "(apt-get install chromium); .ci/run does")


SMART = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                       "\u2013": "-", "\u2014": "-", "\u2026": "..."})


def _normal(text: str) -> str:
    """Text as compared between Markdown source and rendered page: Sphinx's smart quotes and
    dashes undone, math delimiters as rendered without MathJax, emphasis and escapes dropped,
    whitespace collapsed."""
    text = re.sub(r"-{2,3}", "-", text.translate(SMART))
    text = re.sub(r"\$([^$]*)\$", r"(\1)", text)
    return " ".join(re.sub(r"[*_`\\]", "", text).split())


def missing_claims(page_text: str, claims: list[dict[str, Any]]) -> list[str]:
    """Ids of the claims whose statement does not appear on the scorecard page."""
    shown = _normal(page_text)
    return [c["id"] for c in claims if _normal(c["statement"]) not in shown]


# the page's text without source code (code cells, code blocks, inline code), where `np.nan`
# or a traceback example are fine; outputs stay
PROSE_AND_OUTPUTS = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('.cell_input, div[class*="highlight-"]:not(.output), code')
    .forEach(element => element.remove());
  return body.textContent;
}"""

IMAGES_LOADED = """async () => {
  const images = Array.from(document.images);
  for (const img of images) { img.loading = "eager"; }
  await Promise.all(images.map(img => img.complete ? null :
    new Promise(done => { img.onload = img.onerror = done; })));
  return images.filter(img => img.naturalWidth === 0).map(img => img.currentSrc || img.src);
}"""


def check_site(html: Path, claims: list[dict[str, Any]] | None = None,
               scorecard: str = "book/scorecard.html", screenshots: Path | None = None,
               timeout_ms: int = 30_000) -> list[Page]:
    """Open every page of ``html``; returns one :class:`Page` per page. ``claims`` (from the
    results files) must each appear on the ``scorecard`` page."""
    from playwright.sync_api import sync_playwright

    html = Path(html)
    if not (html / "index.html").is_file():
        raise FileNotFoundError(f"no built book at {html} (no index.html); run `make book`")
    checked: list[Page] = []
    link_status: dict[str, int] = {}
    with serve(html) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        outside: list[str] = []

        def route(request_route: Any) -> None:
            url = request_route.request.url
            if url.startswith(base) or url.startswith("data:"):
                request_route.continue_()
            else:
                if url != MATHJAX:
                    outside.append(url)
                request_route.abort()

        context.route("**/*", route)
        for rel in pages(html):
            redirect = REFRESH.search((html / rel).read_text(errors="replace"))
            if redirect:  # index.html: a meta refresh to the root page, checked itself
                target = (html / rel).parent / urldefrag(redirect.group(1))[0]
                checked.append(Page(rel, [] if target.is_file() else
                                    [f"redirects to a missing page {redirect.group(1)}"]))
                continue
            page_errors: list[str] = []
            outside.clear()
            page = context.new_page()
            page.on("pageerror", lambda exc, errs=page_errors: errs.append(str(exc)))
            result = Page(rel)
            response = page.goto(base + rel, wait_until="load", timeout=timeout_ms)
            if response is None or response.status != 200:
                result.problems.append(f"HTTP {response.status if response else 'no answer'}")
            broken = page.evaluate(IMAGES_LOADED)
            result.problems += [f"image does not load: {src}" for src in broken]
            errors = page.locator(ERROR_CELLS).count()
            if errors:
                result.problems.append(f"{errors} error output cell(s)")
            text = page.inner_text("body")
            for found in sorted(set(BAD_TEXT.findall(page.evaluate(PROSE_AND_OUTPUTS)))):
                result.problems.append(f"page text shows {found!r}")
            result.problems += [f"script error: {e}" for e in page_errors
                                if e not in KNOWN_SCRIPT_ERRORS]
            result.problems += [f"request leaves 127.0.0.1: {u}" for u in dict.fromkeys(outside)]
            links = page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)")
            for link in links:
                target = urldefrag(link)[0]
                if not target.startswith(base) or target in link_status:
                    continue
                link_status[target] = page.request.get(target).status
                if link_status[target] != 200:
                    result.problems.append(f"link to {urlparse(target).path} is "
                                           f"HTTP {link_status[target]}")
            if claims is not None and rel == scorecard:
                result.problems += [f"scorecard omits claim {i}"
                                    for i in missing_claims(text, claims)]
            if result.problems and screenshots is not None:
                screenshots.mkdir(parents=True, exist_ok=True)
                result.screenshot = screenshots / (rel.replace("/", "__") + ".png")
                page.screenshot(path=str(result.screenshot), full_page=True)
            page.close()
            checked.append(result)
        if claims is not None and scorecard not in {p.path for p in checked}:
            checked.append(Page(scorecard, [f"no scorecard page {scorecard}"]))
        browser.close()
    return checked


def results_claims(root: Path) -> list[dict[str, Any]]:
    """Every claim recorded in ``results/<profile>/`` (each id once)."""
    from dataprints.book import collect_claims

    seen: dict[str, dict[str, Any]] = {}
    for claims in collect_claims(root).values():
        for claim_id, claim in claims.items():
            seen.setdefault(claim_id, claim)
    return list(seen.values())


def main(argv: list[str] | None = None) -> int:
    """Check the built book; exit 1 (listing each problem) when a page fails."""
    from dataprints.paths import repo_root

    parser = argparse.ArgumentParser(prog="python -m dataprints.browser", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("html", nargs="?", type=Path, help="built site (default _build/html)")
    parser.add_argument("--screenshots", type=Path,
                        help="where failing pages' screenshots go (default _build/browser)")
    args = parser.parse_args(argv)
    root = repo_root()
    html = args.html or root / "_build" / "html"
    shots = args.screenshots or root / "_build" / "browser"
    checked = check_site(html, results_claims(root), screenshots=shots)
    failed = [p for p in checked if p.problems]
    for page in failed:
        print(f"FAIL {page.path}" + (f" (screenshot {page.screenshot})" if page.screenshot
                                     else ""))
        for problem in page.problems:
            print(f"     {problem}")
    print(f"browser check: {len(checked) - len(failed)} of {len(checked)} pages fine")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
