"""Evidence files of a complaint form that came back with errors, held until the form is sent again.

A browser never puts a file back into a file input, so a form refused for any
reason (a field, a form sent too quickly or left open too long, one bad file
next to good ones) would lose every file chosen. Instead each file sent is
kept as sent, in a folder of that form's own under ``EVIDENCE_DIR/held``,
named by a hash of the idempotency key inside the form's signed token: only
the holder of the form reaches it. The page lists the held files, each with a
ticked checkbox (untick to remove it); when the form is sent again they are
checked and stored with the complaint exactly as new uploads are.

Here a file is only read up to the size limit and recognised by its first
bytes. Decoding images and parsing PDFs waits for a form whose fields can be
accepted, as for new uploads. Folders older than the form's lifetime
(COMPLAINT_FORM_MAX_AGE_SECONDS) are deleted by the hourly clean-up.
"""

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC

from flask import current_app
from flask_babel import gettext as _

from portal.clock import utcnow
from portal.complaints import evidence

log = logging.getLogger(__name__)

_MANIFEST = "files.json"
_FILE_ID = re.compile(r"^[0-9a-f]{16}$")


@dataclass(frozen=True)
class HeldFile:
    """A file held for a form: its id (the checkbox's value), the name it was sent with and its size."""

    id: str
    name: str
    size: int


def _root():
    # Stored evidence sits in two-character folders beside it, and cleanup_orphans leaves this one alone.
    return os.path.join(evidence.evidence_dir(), evidence.HELD_FOLDER)


def _folder(form_key):
    digest = hashlib.sha256(("complaints.held:" + form_key).encode("utf-8")).hexdigest()[:40]
    return os.path.join(_root(), digest)


def _read_manifest(folder):
    try:
        with open(os.path.join(folder, _MANIFEST), encoding="utf-8") as file:
            entries = json.load(file)
    except (FileNotFoundError, ValueError):
        return []
    held = []
    for entry in entries if isinstance(entries, list) else []:
        try:
            item = HeldFile(str(entry["id"]), str(entry["name"]), int(entry["size"]))
        except (KeyError, TypeError, ValueError):
            continue
        if _FILE_ID.fullmatch(item.id) and os.path.exists(os.path.join(folder, item.id)):
            held.append(item)
    return held


def _write_manifest(folder, held):
    path = os.path.join(folder, _MANIFEST)
    temporary = path + ".new"
    with open(temporary, "w", encoding="utf-8") as file:
        json.dump([item.__dict__ for item in held], file, ensure_ascii=False)
    os.replace(temporary, path)


def held_files(form_key):
    """Return the files held for the form of ``form_key`` (None: none), in the order they were sent."""
    if not form_key:
        return []
    return _read_manifest(_folder(form_key))


def release(form_key):
    """Delete every file held for the form of ``form_key`` (sent, or abandoned)."""
    if form_key:
        shutil.rmtree(_folder(form_key), ignore_errors=True)


def _check(filename, data):
    """Return the name to keep for a sent file, or raise EvidenceError: name, size, emptiness and type."""
    name = evidence.sanitise_filename(filename)
    max_bytes = current_app.config["COMPLAINT_EVIDENCE_MAX_BYTES"]
    if len(data) > max_bytes:
        raise evidence.EvidenceError(
            _("“%(name)s” is larger than %(size)s MB.", name=name, size=max_bytes // (1024 * 1024))
        )
    if not data:
        raise evidence.EvidenceError(_("“%(name)s” is empty.", name=name))
    if not evidence.recognised_type(data):
        raise evidence.EvidenceError(
            _("“%(name)s” is not a JPEG, PNG or PDF file. Only these types are accepted.", name=name)
        )
    return name


class FormFiles:
    """The evidence of one sending of the form: the held files still ticked, then the files sent now.

    ``uploads`` are ``(filename, bytes)`` pairs read from the request (each at
    most one byte over the size limit), empty file inputs left out.
    ``kept_ids``: the held files whose checkbox was ticked; the others are
    deleted now.
    """

    def __init__(self, form_key, uploads, kept_ids):
        self.form_key = form_key
        self.uploads = list(uploads)
        kept = set(kept_ids)
        held = held_files(form_key)
        self.held = [item for item in held if item.id in kept]
        if len(self.held) < len(held):
            folder = _folder(form_key)
            for item in held:
                if item.id not in kept:
                    os.remove(os.path.join(folder, item.id))
            _write_manifest(folder, self.held)

    def for_submission(self):
        """Return every file as ``(filename, stream)`` pairs for the complaint: the held ones first."""
        folder = _folder(self.form_key) if self.form_key else None
        files = []
        for item in self.held:
            with open(os.path.join(folder, item.id), "rb") as file:
                files.append((item.name, io.BytesIO(file.read())))
        files += [(filename, io.BytesIO(data)) for filename, data in self.uploads]
        return files

    def hold(self, form_key, errors, rejected=()):
        """Hold the files for the form of ``form_key`` after it was refused; return the files now held.

        ``rejected``: indexes (in ``for_submission`` order) of files that the
        complaint's checks refused; they are dropped, with the message already
        in ``errors``. A file sent now that cannot be held is dropped with a
        message in ``errors["evidence"]``, and so is any file past the
        limit on the number of files.
        """
        rejected = set(rejected)
        old_folder = _folder(self.form_key) if self.form_key else None
        folder = _folder(form_key)
        held = []
        for index, item in enumerate(self.held):
            path = os.path.join(old_folder, item.id)
            if index in rejected:
                os.remove(path)
                continue
            if old_folder != folder:
                os.makedirs(folder, mode=0o700, exist_ok=True)
                os.replace(path, os.path.join(folder, item.id))
            held.append(item)
        maximum = current_app.config["COMPLAINT_EVIDENCE_MAX_FILES"]
        messages = errors.setdefault("evidence", [])
        for index, (filename, data) in enumerate(self.uploads, start=len(self.held)):
            if index in rejected:
                continue
            try:
                name = _check(filename, data)
            except evidence.EvidenceError as error:
                if error.message not in messages:
                    messages.append(error.message)
                continue
            if len(held) >= maximum:
                message = _("Attach at most %(count)s files.", count=maximum)
                if message not in messages:
                    messages.append(message)
                continue
            item = HeldFile(secrets.token_hex(8), name, len(data))
            path = os.path.join(folder, item.id)
            try:
                os.makedirs(folder, mode=0o700, exist_ok=True)
                with open(path, "wb") as file:
                    file.write(data)
            except OSError as error:
                # A full or read-only store: the visitor is told, and the form still comes back.
                log.error("A file of a complaint form could not be held: %s", error.strerror)
                with contextlib.suppress(OSError):
                    os.remove(path)
                messages.append(_("“%(name)s” could not be kept with the form; attach it again.", name=name))
                continue
            held.append(item)
        if old_folder and old_folder != folder:
            shutil.rmtree(old_folder, ignore_errors=True)
        if held:
            try:
                _write_manifest(folder, held)
            except OSError as error:
                log.error("The held files of a complaint form could not be listed: %s", error.strerror)
                messages.extend(_("“%(name)s” could not be kept with the form; attach it again.", name=item.name)
                                for item in held)
                held = []
        if not held:
            shutil.rmtree(folder, ignore_errors=True)
        if not messages:
            del errors["evidence"]
        self.form_key, self.held, self.uploads = form_key, held, []
        return held


def cleanup(now=None, max_age_seconds=None):
    """Delete the held files of forms older than their lifetime; return how many forms' files were deleted."""
    if max_age_seconds is None:
        max_age_seconds = current_app.config["COMPLAINT_FORM_MAX_AGE_SECONDS"]
    now = now or utcnow()
    cutoff = now.replace(tzinfo=UTC).timestamp() - max_age_seconds
    root = _root()
    if not os.path.isdir(root):
        return 0
    deleted = 0
    for name in os.listdir(root):
        folder = os.path.join(root, name)
        try:
            # A form that came back again was written to since: its folder's time is that of its last refusal.
            newest = max(os.path.getmtime(os.path.join(folder, entry)) for entry in [".", *os.listdir(folder)])
        except (FileNotFoundError, NotADirectoryError, ValueError):
            continue
        if newest <= cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            deleted += 1
    if deleted:
        log.info("Held evidence of %d expired complaint forms deleted", deleted)
    return deleted
