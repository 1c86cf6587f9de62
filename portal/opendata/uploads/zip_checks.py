"""The ZIP checks of an XLSX upload: its end record and central directory, before anything is unpacked."""

import io
import struct
import zipfile

from portal.opendata.uploads.limits import (
    MAX_MEMBER_BYTES,
    MAX_MEMBERS,
    MAX_RATIO,
    MAX_RATIO_FLOOR,
    MAX_UNPACKED_BYTES,
    BatchFileError,
)

def check_end_record(file):
    """Refuse an archive whose end record announces too many members, before zipfile reads their entries."""
    file.seek(0, io.SEEK_END)
    size = file.tell()
    tail_size = min(size, 22 + 65535)
    file.seek(size - tail_size)
    tail = file.read(tail_size)
    file.seek(0)
    position = tail.rfind(b"PK\x05\x06")
    if position < 0 or len(tail) - position < 22:
        raise BatchFileError("malformed")
    entries, directory_size = struct.unpack("<xxxxxxxxxxHI", tail[position : position + 16])
    # 0xFFFF means "see the ZIP64 record": no workbook has that many parts.
    if entries > MAX_MEMBERS or directory_size > MAX_MEMBERS * 1024:
        raise BatchFileError("unpacked_too_large")


def checked_members(archive):
    """Return {name: ZipInfo}, after checking every member's declared sizes against the limits.

    zipfile never unpacks more than a member's declared size (and checks its
    CRC), so the central directory's sizes bound what unpacking can produce.
    """
    members, total = {}, 0
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise BatchFileError("unpacked_too_large")
    for info in infos:
        if info.filename in members or info.flag_bits & 0x1:
            raise BatchFileError("malformed")  # a duplicate name, or an encrypted member
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise BatchFileError("malformed")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if (
            info.file_size > MAX_MEMBER_BYTES
            or total > MAX_UNPACKED_BYTES
            or (info.file_size > MAX_RATIO_FLOOR and ratio > MAX_RATIO)
        ):
            raise BatchFileError("unpacked_too_large")
        members[info.filename] = info
    return members


def open_member(archive, info):
    try:
        return archive.open(info)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, ValueError) as exc:
        raise BatchFileError("malformed") from exc
