"""The Host check against DNS rebinding, and what counts as loopback."""

from __future__ import annotations

import unittest

from fakeserver._inspector.hosts import host_allowed, is_loopback


def allowed(host: str | None, bound: str = "127.0.0.1") -> bool:
    environ = {"SERVER_NAME": bound}
    if host is not None:
        environ["HTTP_HOST"] = host
    return host_allowed(environ)


class HostAllowedTest(unittest.TestCase):
    def test_this_server_by_address_or_as_localhost(self) -> None:
        for host in ("127.0.0.1:8000", "127.0.0.1", "localhost:8000", "LOCALHOST", "localhost.:8000",
                     "127.0.0.2:8000", "[::1]:8000"):
            with self.subTest(host=host):
                self.assertTrue(allowed(host))
        self.assertTrue(allowed("[::1]:8000", bound="::1"))
        self.assertTrue(allowed("myhost.lan:8000", bound="myhost.lan"))

    def test_any_other_name_is_refused(self) -> None:
        for host in ("attacker.example:8000", "attacker.example", "localhost.attacker.example",
                     "127.0.0.1.nip.io:8000", "", "[::1", "xn--e1afmkfd.example"):
            with self.subTest(host=host):
                self.assertFalse(allowed(host))

    def test_another_address_only_on_a_server_bound_to_every_interface(self) -> None:
        self.assertFalse(allowed("192.168.1.5:8000", bound="127.0.0.1"))
        self.assertTrue(allowed("192.168.1.5:8000", bound="0.0.0.0"))
        self.assertTrue(allowed("[fd00::5]:8000", bound="::"))
        self.assertFalse(allowed("attacker.example", bound="0.0.0.0"))
        self.assertTrue(allowed("192.168.1.5", bound="192.168.1.5"))

    def test_no_host_header_at_all_is_no_browser(self) -> None:
        self.assertTrue(allowed(None))


class IsLoopbackTest(unittest.TestCase):
    def test_loopback(self) -> None:
        for host in ("127.0.0.1", "127.1.2.3", "::1", "localhost"):
            with self.subTest(host=host):
                self.assertTrue(is_loopback(host))

    def test_not_loopback(self) -> None:
        for host in ("0.0.0.0", "::", "", "192.168.1.5", "no-such-host.invalid"):
            with self.subTest(host=host):
                self.assertFalse(is_loopback(host))


if __name__ == "__main__":
    unittest.main()
