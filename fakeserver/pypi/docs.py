"""Uploaded documentation of a fake package index: zips checked whole, served piece by piece.

Owns what a ``doc_upload`` archive must be to be taken (a zip file whose
every member reads back intact: none encrypted, corrupt or compressed in a
way Python cannot undo) and how one of its files is served: decompressed
piece by piece as the response is sent, so that a small archive holding a
huge file (a zip bomb) costs time, never memory. Knows nothing of routing,
storage or the other fields of an upload.
"""

from __future__ import annotations

import mimetypes
import zipfile
from typing import BinaryIO, Iterator

__all__ = ["DocsFile", "archive_problem", "open_docs_file"]

#: How much of a member is decompressed at a time, at upload and when served.
_PIECE = 65536


def archive_problem(archive: BinaryIO) -> str | None:
    """Why *archive* cannot be served as documentation, or None if every member reads back.

    Each member is decompressed through, in pieces of bounded size, and its
    CRC checked: an upload is refused rather than found broken when a
    reader asks for a page. Blocks for as long as decompressing takes.
    """
    try:
        docs = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError):
        return "'content' must be a zip file."
    with docs:
        for info in docs.infolist():
            if info.flag_bits & 0x1:
                return f"{info.filename[:80]!r} in the zip file is encrypted."
            try:
                with docs.open(info) as member:
                    while member.read(_PIECE):
                        pass
            # Decompressors fail on bad input with errors of every kind
            # (zlib.error, lzma.LZMAError, OSError, EOFError, ...).
            except Exception as error:
                return f"{info.filename[:80]!r} in the zip file cannot be read ({error})."
    return None


class DocsFile:
    """One file of a documentation archive, as a WSGI response body read while it is sent.

    Iterating yields its bytes in pieces of at most 64 KiB; :meth:`close`
    closes the member, the archive and the file under it (the server calls
    it when the response ends, sent or not). Used by one thread at a time.
    """

    def __init__(self, archive: BinaryIO, docs: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        self._archive = archive
        self._docs = docs
        self._member = docs.open(info)
        #: The length of the file, uncompressed, in bytes.
        self.size = info.file_size
        content_type = mimetypes.guess_type(info.filename)[0] or "application/octet-stream"
        if content_type.startswith("text/"):
            content_type += "; charset=utf-8"
        #: The Content-Type it is served with.
        self.content_type = content_type

    def __iter__(self) -> Iterator[bytes]:
        while True:
            piece = self._member.read(_PIECE)
            if not piece:
                return
            yield piece

    def close(self) -> None:
        self._member.close()
        self._docs.close()
        self._archive.close()


def open_docs_file(archive: BinaryIO, path: str) -> DocsFile | None:
    """The file at *path* in the documentation zip *archive* (``index.html`` for a directory).

    None if there is no such file; *archive* is then closed, and otherwise
    owned by the :class:`DocsFile` returned.
    """
    if path == "" or path.endswith("/"):
        path += "index.html"
    try:
        docs = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError):
        archive.close()
        return None
    try:
        return DocsFile(archive, docs, docs.getinfo(path))
    except (KeyError, zipfile.BadZipFile):
        docs.close()
        archive.close()
        return None
