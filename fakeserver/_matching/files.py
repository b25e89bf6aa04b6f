"""The ``files=`` criterion: which file parts a multipart request must carry.

Each expected form field names the upload it must carry: a filename (a
string), a content (bytes), or a dict of ``filename``, ``content`` and
``content_type``, whichever are given. The multipart boundary, the order
of the parts and the other fields do not matter, so that a recorded upload
can be matched again whatever boundary its client drew. Knows nothing of
servers or of unittest.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence, Union

from .criteria import Criterion
from .diff import shorten

__all__ = ["FileSpec", "files_criterion"]

__unittest = True  # hide this module's frames from test failure tracebacks

#: What ``files=`` takes for one upload: a filename, a content, or a dict of them.
FileSpec = Union[str, bytes, Mapping[str, Any]]

#: The keys of a dict FileSpec, and the attribute of ``UploadedFile`` each compares.
_KEYS = {"filename": "filename", "content": "data", "content_type": "content_type"}


def files_criterion(expected: Mapping[str, FileSpec | Sequence[FileSpec]]) -> Criterion:
    """Each field of *expected* carries a matching upload (one spec), or exactly these (a list).

    A single spec must fit one of the field's uploads; a list must fit all
    of them, one each, in order. Raises ValueError for a dict with an
    unknown key, TypeError for a spec of another type.
    """
    wanted = {field: [_spec(field, item) for item in specs] if isinstance(specs, (list, tuple))
              else _spec(field, specs) for field, specs in expected.items()}

    def test(record: Any) -> tuple[bool, str]:
        uploads = record.files
        differing = [field for field, spec in wanted.items()
                     if not _fits(spec, uploads.get(field, []))]
        shown = {field: [_describe(upload) for upload in uploads[field]] if field in uploads
                 else "<missing>" for field in differing}
        return not differing, shorten(shown, 120)
    return Criterion("files", shorten(dict(expected), 120), test)


def _spec(field: str, spec: Any) -> dict[str, Any]:
    """A spec as a dict of ``UploadedFile`` attributes to their expected values."""
    if isinstance(spec, str):
        return {"filename": spec}
    if isinstance(spec, (bytes, bytearray)):
        return {"data": bytes(spec)}
    if isinstance(spec, Mapping):
        unknown = sorted(set(spec) - set(_KEYS))
        if unknown:
            raise ValueError(f"files[{field!r}]: unknown key {unknown[0]!r}; expected "
                             f"{', '.join(_KEYS)}")
        content = spec.get("content")
        return {_KEYS[key]: content.encode("utf-8") if key == "content" and isinstance(content, str)
                else value for key, value in spec.items()}
    raise TypeError(f"files[{field!r}] must be a filename (str), a content (bytes) or a dict of "
                    f"{', '.join(_KEYS)}, not {spec!r}")


def _fits(spec: dict[str, Any] | list[dict[str, Any]], uploads: list[Any]) -> bool:
    if isinstance(spec, list):
        return len(spec) == len(uploads) and all(map(_same, spec, uploads))
    return any(_same(spec, upload) for upload in uploads)


def _same(spec: dict[str, Any], upload: Any) -> bool:
    return all(getattr(upload, attribute) == value for attribute, value in spec.items())


def _describe(upload: Any) -> str:
    return f"{upload.filename!r} {upload.content_type} {len(upload.data)} bytes"
