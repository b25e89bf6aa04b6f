"""The ``files=`` criterion: which file parts a multipart request must carry.

Each expected form field names the upload it must carry: a filename (a
string, or a matcher of it), a content (bytes), or a dict of ``filename``,
``content`` and ``content_type``, whichever are given. The multipart
boundary, the order of the parts and the other fields do not matter, so
that a recorded upload can be matched again whatever boundary its client
drew. Knows nothing of servers or of unittest.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence, Union

from .criteria import Criterion
from .diff import Mismatch, missing, plural, unexpected
from .values import ABSENT, Matcher, as_expected, compare

__all__ = ["FileSpec", "files_criterion"]

__unittest = True  # hide this module's frames from test failure tracebacks

#: What ``files=`` takes for one upload: a filename (or a matcher of it), a
#: content, or a dict of them.
FileSpec = Union[str, bytes, Matcher, Mapping[str, Any]]

#: The keys of a dict FileSpec, and the attribute of ``UploadedFile`` each compares.
_KEYS = {"filename": "filename", "content": "data", "content_type": "content_type"}


def files_criterion(expected: Mapping[str, FileSpec | Sequence[FileSpec]]) -> Criterion:
    """Each field of *expected* carries a fitting upload (one spec), or exactly these (a list).

    A single spec must fit one of the field's uploads; a list must fit all
    of them, one each, in order; ``match.ABSENT`` asks for none. Raises
    ValueError for a dict with an unknown key, TypeError for a spec of
    another type.
    """
    wanted: dict[str, Any] = {field: specs if specs is ABSENT
              else [_spec(field, item) for item in specs] if isinstance(specs, (list, tuple))
              else _spec(field, specs) for field, specs in expected.items()}

    def differences(record: Any) -> list[Mismatch]:
        found: list[Mismatch] = []
        for field, spec in wanted.items():
            uploads, subject = record.files.get(field, []), f"file {field!r}"
            if spec is ABSENT:
                found += [unexpected("files", subject)] if uploads else []
            elif not uploads:
                found.append(missing("files", subject))
            elif isinstance(spec, list):
                found += _all_of(spec, uploads, subject)
            else:  # the closest of the field's uploads says how they differ
                closest: list[Mismatch] = min(
                    [_differences(spec, upload, subject) for upload in uploads], key=len)
                found += closest
        return found
    return Criterion("files", differences)


def _all_of(specs: list[dict[str, Any]], uploads: list[Any], subject: str) -> list[Mismatch]:
    if len(specs) != len(uploads):
        return [Mismatch("files", plural(len(uploads), "file"), plural(len(specs), "file"), subject)]
    return [mismatch for index, (spec, upload) in enumerate(zip(specs, uploads))
            for mismatch in _differences(spec, upload, f"{subject}[{index}]")]


def _differences(spec: dict[str, Any], upload: Any, subject: str) -> list[Mismatch]:
    return [mismatch for key, value in spec.items()
            for mismatch in compare("files", getattr(upload, _KEYS[key]), value, f"{subject} {key}")]


def _spec(field: str, spec: Any) -> dict[str, Any]:
    """A spec as a dict of keys of ``_KEYS`` to their expected values (or matchers)."""
    if isinstance(spec, (bytes, bytearray)):
        return {"content": bytes(spec)}
    if isinstance(spec, Mapping):
        unknown = sorted(set(spec) - set(_KEYS))
        if unknown:
            raise ValueError(f"files[{field!r}]: unknown key {unknown[0]!r}; expected "
                             f"{', '.join(_KEYS)}")
        content = spec.get("content")
        return {key: content.encode("utf-8") if key == "content" and isinstance(content, str)
                else as_expected(value) for key, value in spec.items()}
    if isinstance(spec, (str, Matcher)) or callable(spec):
        return {"filename": as_expected(spec)}
    raise TypeError(f"files[{field!r}] must be a filename (str), a content (bytes) or a dict of "
                    f"{', '.join(_KEYS)}, not {spec!r}")
