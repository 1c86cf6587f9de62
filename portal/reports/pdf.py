"""Render a printable report page to PDF with WeasyPrint, without any network access.

The PDF uses the print stylesheet (static/css/print.css) and the Noto CJK
fonts installed from Debian's fonts-noto-cjk, found by fontconfig by family
name: no font is downloaded. WeasyPrint is given a URL fetcher that serves
only this application's static files and ``data:`` URLs (the QR code).
"""

import logging
import mimetypes
import os
from urllib.parse import unquote, urlsplit

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


def html_to_pdf(html, base_url, static_folder, static_url_path):
    """Return the PDF (bytes) of an HTML document whose links are relative to ``base_url``."""
    weasyprint = _weasyprint()
    fetcher = static_fetcher(static_folder, static_url_path)
    return weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()
