"""Evidence files: checked by content, cleaned of metadata, stored outside the web root.

A file is recognised by its bytes, never by its name or declared type: JPEG
and PNG must decode with Pillow, a PDF must parse with pypdf. Images are
re-encoded, which drops EXIF (GPS, camera, times) and text chunks.

Durability: files are written as ``<name>.pending`` before the complaint's
transaction commits, and renamed to ``<name>`` after. A ``.pending`` file
left by a crash is either finished (its row was committed) or deleted (it
was not) by ``cleanup_orphans``; ``open_evidence`` finishes one on demand.
"""

import hashlib
import io
import logging
import os
import secrets
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import UTC

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from portal.clock import utcnow
from portal.extensions import db

log = logging.getLogger(__name__)

PENDING_SUFFIX = ".pending"
#: The folder of EVIDENCE_DIR with the files held for complaint forms that came back with errors (held_files).
HELD_FOLDER = "held"

#: Leading bytes of each accepted type, and how it is stored.
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", ".jpg", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png", "PNG"),
    (b"%PDF-", "application/pdf", ".pdf", None),
)
EXTENSIONS = {content_type: extension for _magic, content_type, extension, _format in SIGNATURES}
MAX_ORIGINAL_NAME = 200


class EvidenceError(ValueError):
    """An uploaded file that cannot be accepted; ``message`` is for the visitor (translated)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass
class PreparedFile:
    """An accepted upload, cleaned and ready to store."""

    original_name: str
    content_type: str
    data: bytes
    sha256: str

    @property
    def size(self):
        return len(self.data)

    @property
    def extension(self):
        return EXTENSIONS[self.content_type]


def sanitise_filename(name):
    """Return the upload's name as kept for staff; raise EvidenceError for a name with a path in it.

    Browsers send a bare file name. A name with directories, ``..`` or
    control characters was made by hand to reach outside the folder.
    """
    name = unicodedata.normalize("NFC", name or "")
    if "/" in name or "\\" in name or name in (".", "..") or name.startswith(".."):
        raise EvidenceError(
            _("The file name “%(name)s” contains a path; only a plain file name is accepted.", name=name[:80])
        )
    if any(unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp") for character in name):
        raise EvidenceError(_("The file name contains control characters."))
    name = name.strip().lstrip(".") or "evidence"
    if len(name) > MAX_ORIGINAL_NAME:
        stem, dot, extension = name.rpartition(".")
        keep = extension[:10] if dot else ""
        name = (stem if dot else name)[: MAX_ORIGINAL_NAME - len(keep) - 1] + ("." + keep if keep else "")
    return name


def _read_limited(stream, max_bytes, shown_name):
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise EvidenceError(
            _("“%(name)s” is larger than %(size)s MB.", name=shown_name, size=max_bytes // (1024 * 1024))
        )
    return data


def _detect(data):
    for magic, content_type, _extension, image_format in SIGNATURES:
        if data.startswith(magic):
            return content_type, image_format
    return None, None


def recognised_type(data):
    """Return the content type that the first bytes of ``data`` announce (JPEG, PNG or PDF), or None."""
    return _detect(data)[0]


def _clean_image(data, image_format, shown_name, max_pixels):
    """Check an image fully and re-encode it without metadata."""
    not_valid = _("“%(name)s” is not a valid JPEG or PNG image.", name=shown_name)
    too_large = _(
        "“%(name)s” has too many pixels: images of at most %(megapixels)s megapixels are accepted. "
        "Reduce its size (or scan at 300 dpi) and attach it again.",
        name=shown_name,
        megapixels=max_pixels // 1_000_000,
    )
    try:
        with warnings.catch_warnings():
            # Pillow only warns about a possible decompression bomb: refuse it instead.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return _decode_image(data, image_format, max_pixels, not_valid, too_large)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise EvidenceError(too_large) from error


def _decode_image(data, image_format, max_pixels, not_valid, too_large):
    try:
        # Image.open reads the header only: the size is known before any pixel is decoded.
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format != image_format:
                raise EvidenceError(not_valid)
            width, height = probe.size
            if width * height > max_pixels:
                raise EvidenceError(too_large)
            probe.verify()
        # verify() leaves the image unusable: open it again to decode it.
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            # Keep only what rendering needs: no comments, EXIF, XMP or text chunks.
            upright.info = {key: image.info[key] for key in ("icc_profile", "transparency") if key in image.info}
            output = io.BytesIO()
            if image_format == "JPEG":
                if upright.mode not in ("RGB", "L", "CMYK"):
                    upright = upright.convert("RGB")
                # No exif= argument: the EXIF block (GPS, camera, times) is not written.
                upright.save(output, "JPEG", quality=90, optimize=True)
            else:
                # Pillow writes no text, time or eXIf chunks unless asked.
                upright.save(output, "PNG", optimize=False)
            return output.getvalue()
    except (EvidenceError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        log.info("Rejected an image that does not decode: %s", type(error).__name__)
        raise EvidenceError(not_valid) from error


#: Actions a PDF reader may run by itself or on a click that do more than move within the document.
_ACTIVE_ACTIONS = frozenset(
    ("/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToE", "/GoToR", "/RichMediaExecute", "/Rendition")
)
#: Keys whose presence anywhere means code, or files carried inside the PDF.
_ACTIVE_KEYS = frozenset(("/JS", "/JavaScript", "/EmbeddedFile", "/EmbeddedFiles", "/XFA", "/RichMediaContent"))
_ACTIVE_TYPES = frozenset(("/EmbeddedFile", "/Filespec", "/RichMedia", "/Movie", "/Sound", "/Screen", "/3D"))
#: Objects looked at, at most: a scanned PDF of hundreds of pages has a few thousand.
_PDF_OBJECT_BUDGET = 200_000


def active_pdf_content(reader):
    """Return the kinds of active content (scripts, actions, embedded files) reachable in a parsed PDF.

    Walks every dictionary and array reachable from the document catalog, so
    that an action hidden in an annotation, a form field, a bookmark or a
    name tree is found wherever it is (pypdf has already decoded names such as
    ``/J#61vaScript``). Content streams are not decoded: they draw, and run nothing.
    """
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    found, seen = set(), set()
    pending = [reader.trailer["/Root"]]
    visited = 0
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
        visited += 1
        if visited > _PDF_OBJECT_BUDGET:
            found.add("too many objects")
            break
        if isinstance(item, DictionaryObject):
            found.update(name for name in _ACTIVE_KEYS if name in item)
            if item.get("/S") in _ACTIVE_ACTIONS:
                found.add(str(item["/S"]))
            found.update(str(item[key]) for key in ("/Type", "/Subtype") if item.get(key) in _ACTIVE_TYPES)
            pending.extend(value for name, value in item.items() if name != "/Parent")
        elif isinstance(item, ArrayObject):
            pending.extend(item)
    return found


def _check_pdf(data, shown_name):
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    not_valid = _("“%(name)s” is not a valid PDF file.", name=shown_name)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise EvidenceError(_("“%(name)s” is protected by a password; upload it without one.", name=shown_name))
        if len(reader.pages) < 1:
            raise EvidenceError(not_valid)
        active = active_pdf_content(reader)
    except EvidenceError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError, AttributeError) as error:
        log.info("Rejected a PDF that does not parse: %s", type(error).__name__)
        raise EvidenceError(not_valid) from error
    if active:
        log.info("Rejected a PDF with active content: %s", ", ".join(sorted(active)))
        raise EvidenceError(
            _(
                "“%(name)s” contains scripts, actions or embedded files, which are not accepted. "
                "Print it to a new PDF, or save its pages as images, and upload that.",
                name=shown_name,
            )
        )


def prepare_upload(filename, stream, max_bytes=None, max_pixels=None):
    """Read, check and clean one upload; return a PreparedFile or raise EvidenceError."""
    config = current_app.config
    max_bytes = max_bytes or config["COMPLAINT_EVIDENCE_MAX_BYTES"]
    max_pixels = max_pixels or config["COMPLAINT_EVIDENCE_MAX_PIXELS"]
    original_name = sanitise_filename(filename)
    data = _read_limited(stream, max_bytes, original_name)
    if not data:
        raise EvidenceError(_("“%(name)s” is empty.", name=original_name))
    content_type, image_format = _detect(data)
    if content_type is None:
        raise EvidenceError(
            _("“%(name)s” is not a JPEG, PNG or PDF file. Only these types are accepted.", name=original_name)
        )
    if image_format:
        data = _clean_image(data, image_format, original_name, max_pixels)
    else:
        _check_pdf(data, original_name)
    return PreparedFile(
        original_name=original_name,
        content_type=content_type,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
    )


# -- storage ---------------------------------------------------------------------


def evidence_dir():
    return current_app.config["EVIDENCE_DIR"]


def new_stored_name(content_type):
    """Return a random file name for a stored file (128 random bits and the type's extension)."""
    return secrets.token_hex(16) + EXTENSIONS[content_type]


def stored_path(stored_name):
    """Return the absolute path of a stored file, in a sub-folder named after its first two characters."""
    if not stored_name or "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
        raise ValueError("not a stored evidence name")
    return os.path.join(evidence_dir(), stored_name[:2], stored_name)


def _fsync_dir(path):
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def write_pending(stored_name, data):
    """Write a file under its pending name, flushed to disk."""
    final = stored_path(stored_name)
    folder = os.path.dirname(final)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    descriptor = os.open(final + PENDING_SUFFIX, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    _fsync_dir(folder)


def finalise(stored_name):
    """Give a pending file its final name, once its row is committed."""
    final = stored_path(stored_name)
    os.replace(final + PENDING_SUFFIX, final)
    _fsync_dir(os.path.dirname(final))


def discard(stored_name):
    """Delete a pending (or final) file whose transaction failed."""
    final = stored_path(stored_name)
    for path in (final + PENDING_SUFFIX, final):
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


def open_evidence(evidence):
    """Return the path of an Evidence row's file (for staff downloads); raise FileNotFoundError if missing.

    Callers must check the user's permission first and send the file as an
    attachment with its ``content_type``.
    """
    path = stored_path(evidence.stored_name)
    if not os.path.exists(path) and os.path.exists(path + PENDING_SUFFIX):
        # The row is committed but the process died before the rename.
        finalise(evidence.stored_name)
    if not os.path.exists(path):
        raise FileNotFoundError(evidence.stored_name)
    return path


def verify_evidence(evidence):
    """Return whether an Evidence row's file exists and has its recorded SHA-256."""
    try:
        path = open_evidence(evidence)
    except FileNotFoundError:
        return False
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest() == evidence.sha256


def cleanup_orphans(now=None, max_age_seconds=None):
    """Finish or delete files left by interrupted submissions; return counts. ``now`` is naive UTC.

    A ``.pending`` file whose row exists is renamed (the transaction
    committed); any other file without a row is deleted once it is older
    than ``max_age_seconds`` (an upload may still be committing).
    """
    from portal.complaints.models import Evidence

    if max_age_seconds is None:
        max_age_seconds = current_app.config["COMPLAINT_ORPHAN_MAX_AGE_SECONDS"]
    now = now or utcnow()
    cutoff = now.replace(tzinfo=UTC).timestamp() - max_age_seconds
    root = evidence_dir()
    counts = {"finished": 0, "deleted": 0}
    if not os.path.isdir(root):
        return counts
    candidates = {}
    for folder, folders, names in os.walk(root):
        if folder == root:
            # The files held for forms that came back with errors have their own clean-up (held_files).
            folders[:] = [name for name in folders if name != HELD_FOLDER]
        for name in names:
            path = os.path.join(folder, name)
            stored = name[: -len(PENDING_SUFFIX)] if name.endswith(PENDING_SUFFIX) else name
            candidates.setdefault(stored, []).append(path)
    known = set()
    names = list(candidates)
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        known.update(db.session.scalars(db.select(Evidence.stored_name).where(Evidence.stored_name.in_(chunk))))
    for stored, paths in candidates.items():
        for path in paths:
            pending = path.endswith(PENDING_SUFFIX)
            if stored in known:
                if pending:
                    final = path[: -len(PENDING_SUFFIX)]
                    if os.path.exists(final):
                        os.remove(path)
                    else:
                        os.replace(path, final)
                    counts["finished"] += 1
                continue
            try:
                modified = os.path.getmtime(path)
            except FileNotFoundError:
                continue
            if modified <= cutoff:
                os.remove(path)
                counts["deleted"] += 1
    if counts["finished"] or counts["deleted"]:
        log.info("Evidence cleanup: %(finished)s files finished, %(deleted)s orphans deleted", counts)
    return counts


__all__ = [
    "EvidenceError",
    "PreparedFile",
    "cleanup_orphans",
    "discard",
    "finalise",
    "open_evidence",
    "prepare_upload",
    "sanitise_filename",
    "stored_path",
    "verify_evidence",
    "write_pending",
]
