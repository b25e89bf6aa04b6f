"""A fake Python package index that ``twine upload`` and ``pip install`` really talk to.

Contents:

- :class:`PackageIndex` (``_pypi_index``): a WSGI app speaking PyPI's APIs
  (the legacy upload API, the simple repository API in HTML and JSON, the
  JSON API, uploaded docs), and the :class:`DistributionFile` records it
  keeps. Checking uploads lives in ``_pypi_upload``, page formats in
  ``_pypi_pages``, names and storage in ``_pypi_files``.
- :class:`PackageIndexTestCase` (``_pypi_testcase``): the unittest mixin
  with ``assertUploaded`` / ``assertNotUploaded`` (``_pypi_checks``, shared
  with the ``fake_pypi`` fixture, as are the uploads and client settings
  of ``_pypi_testing``).

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
