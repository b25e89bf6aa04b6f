"""A fake Python package index that ``twine upload`` and ``pip install`` really talk to.

Contents:

- :class:`PackageIndex`: a WSGI app speaking PyPI's APIs (the legacy
  upload API, the simple repository API in HTML and JSON, the JSON API,
  uploaded docs), keeping its files in memory or in a directory.
- :class:`DistributionFile`: one file of the index, with its name, version,
  file type, digests and metadata; you get them from
  :attr:`PackageIndex.files`.
- :class:`PackageIndexTestCase`: the unittest mixin, with
  ``assertUploaded`` and ``assertNotUploaded`` and the settings to point
  pip and twine at the index; the ``fake_pypi`` pytest fixture offers the
  same, worded the same way.

Example::

    index = PackageIndex(users={"__token__": "pypi-secret"})
    with AppRunner(index) as runner:
        # python -m twine upload --repository-url {runner.url}/legacy/ -u __token__ -p pypi-secret dist/*
        # python -m pip install --index-url {runner.url}/simple/ demo
        ...
"""

from .files import DistributionFile
from .index import PackageIndex
from .testcase import PackageIndexTestCase

__all__ = [
    "DistributionFile",
    "PackageIndex",
    "PackageIndexTestCase",
]
