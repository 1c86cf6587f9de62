"""Render a printable report page to PDF with WeasyPrint, without any network access.

The PDF uses the print stylesheet (static/css/print.css) and the Noto CJK
fonts installed from Debian's fonts-noto-cjk, found by fontconfig by family
name: no font is downloaded. WeasyPrint is given a URL fetcher that serves
only this application's static files and ``data:`` URLs (the QR code).
"""

import logging
import mimetypes
import os
import signal
import time
from urllib.parse import unquote, urlsplit

from portal.reports.pdf_fonts import compact_cid_fonts

log = logging.getLogger(__name__)


def _weasyprint():
    # Imported when first used: it loads Pango and fontconfig, which the web
    # processes need only when someone asks for a PDF.
    import weasyprint

    return weasyprint


def static_fetcher(static_folder, static_url_path):
    """Return a WeasyPrint URL fetcher that serves files of ``static_folder`` and data: URLs, and nothing else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    root = os.path.realpath(static_folder)
    prefix = static_url_path.rstrip("/") + "/"

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data":
                return super().fetch(url, headers)
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.path.startswith(prefix):
                raise ValueError(f"not fetched (only static files are): {url}")
            relative = unquote(parts.path[len(prefix) :])
            path = os.path.realpath(os.path.join(root, relative))
            if os.path.commonpath([root, path]) != root or not os.path.isfile(path):
                raise ValueError(f"no such static file: {url}")
            with open(path, "rb") as file:
                body = file.read()
            content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body, {"Content-Type": content_type})

    return StaticOnlyFetcher(allowed_protocols=("data",), allow_redirects=False)


#: WeasyPrint's options for every report: an accessible, tagged PDF (ISO 14289-1).
PDF_OPTIONS = {"pdf_variant": "pdf/ua-1", "pdf_tags": True}


def html_to_pdf(html, base_url, static_folder, static_url_path):
    """Return the PDF (bytes) of an HTML document whose links are relative to ``base_url``."""
    weasyprint = _weasyprint()
    fetcher = static_fetcher(static_folder, static_url_path)
    # PDF/UA-1: tagged, with the document's language and title (from <html lang> and <title>).
    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    return document.write_pdf(finisher=compact_cid_fonts, **PDF_OPTIONS)


class RenderFailed(Exception):
    """The child process that rendered a PDF failed, or took longer than allowed (it was killed)."""


def render_in_child(html, base_url, static_folder, static_url_path, path, timeout_seconds):
    """Render an HTML document to a PDF file at ``path`` in a forked child process, waiting at most ``timeout_seconds``.

    WeasyPrint's layout, Pango's font maps and the CJK font data it reads take
    hundreds of megabytes that Python and Pango do not give back; in a child
    they go when it exits, and the web worker's memory stays flat. A render
    that hangs is killed, and the worker answers instead of being killed by
    gunicorn's timeout.
    """
    # Imported in the worker once (about 40 MB, then flat), so that no child pays the second the import takes;
    # the fonts and the layout, which grow, stay in the child.
    _weasyprint()
    import weasyprint.urls  # noqa: F401 (static_fetcher's)

    pid = os.fork()
    if pid == 0:  # the child: render, write, and leave without running the parent's exit handlers
        status = 1
        try:
            document = html_to_pdf(html, base_url, static_folder, static_url_path)
            with open(path, "wb") as file:
                file.write(document)
                file.flush()
                os.fsync(file.fileno())
            status = 0
        except BaseException:
            log.exception("the PDF render failed")
        finally:
            os._exit(status)
    deadline = time.monotonic() + timeout_seconds
    pause = 0.002
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise RenderFailed(f"the PDF render took more than {timeout_seconds} s and was stopped")
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RenderFailed(f"the PDF render exited with {code}")
