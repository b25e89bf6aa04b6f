"""IndexUnderTest: what a test sees of the package index it serves, beside the assertions.

``PackageIndexTestCase`` and ``FakePackageIndex`` (``fake_pypi``) inherit it, so
the files a test uploaded, the credentials the index accepts and the
settings that point twine and pip at it come from one place. It knows
neither unittest nor pytest: the class using it provides ``index``,
``index_url``, ``upload_url`` and, when the test begins, ``_index_mark``.
"""

from __future__ import annotations

import os

from .files import DistributionFile
from .index import PackageIndex

__all__ = ["IndexUnderTest"]

#: The credentials offered when the index lets anyone upload.
_ANYONE = ("__token__", "pypi-fakeserver-token")


class IndexUnderTest:
    """The uploads and client settings of a served :class:`PackageIndex`."""

    index: PackageIndex
    #: The simple repository URL: pip's ``--index-url``.
    index_url: str
    #: The legacy upload URL: twine's ``--repository-url``.
    upload_url: str
    #: ``index.last_serial`` when the test began: later uploaded files are its uploads.
    _index_mark: int = 0

    @property
    def uploads(self) -> list[DistributionFile]:
        """The files uploaded to the index during this test, oldest first.

        Files the test put there itself with ``index.add()`` are not uploads.
        """
        return [record for record in self._arrivals() if record.uploaded]

    def _arrivals(self) -> list[DistributionFile]:
        """Every file that arrived during this test: its uploads and what it added."""
        return [record for record in self.index.files if record.serial > self._index_mark]

    @property
    def index_credentials(self) -> tuple[str, str]:
        """A user name and password the index accepts (the first of its users)."""
        users = self.index.users
        if users:
            return next(iter(users.items()))
        return _ANYONE

    def twine_env(self) -> dict[str, str]:
        """``os.environ`` plus what makes ``twine upload`` publish here, non-interactively.

        Pass it as ``env=`` to ``subprocess.run([sys.executable, "-m", "twine",
        "upload", *files], env=...twine_env())``: the upload URL and
        credentials are set, prompts and the system keyring are off.
        """
        user, password = self.index_credentials
        return {**os.environ, "TWINE_REPOSITORY_URL": self.upload_url, "TWINE_USERNAME": user,
                "TWINE_PASSWORD": password, "TWINE_NON_INTERACTIVE": "1",
                "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}

    def pip_env(self) -> dict[str, str]:
        """``os.environ`` made to point pip at this index and nothing else.

        Every ``PIP_*`` setting and pip configuration file is left out (no
        other index, find-links or constraints); the cache and the version
        check are off.
        """
        environment = {key: value for key, value in os.environ.items()
                       if not key.startswith("PIP_")}
        environment.update({"PIP_INDEX_URL": self.index_url, "PIP_CONFIG_FILE": os.devnull,
                            "PIP_NO_CACHE_DIR": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
        return environment

    def pypirc(self, repository: str = "fakeserver") -> str:
        """The text of a ``.pypirc`` naming this index *repository* (``twine -r`` / ``--config-file``)."""
        user, password = self.index_credentials
        return (f"[distutils]\nindex-servers =\n    {repository}\n\n[{repository}]\n"
                f"repository = {self.upload_url}\nusername = {user}\npassword = {password}\n")
