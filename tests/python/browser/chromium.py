"""Headless Chromium for the consent page tests: Debian's ``chromium`` and ``chromedriver``
(scripts/setup installs both) driven through Selenium, trusting exactly the sandbox's TLS key.

Trust: the sandbox serves a certificate from a CA it made at start. Chromium is told to accept
the one public key that certificate carries (``--ignore-certificate-errors-spki-list``, honoured
only with a ``--user-data-dir``), after this process has checked the certificate against the
sandbox's CA file. Any other certificate error, on any other key, stays an error.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import socket
import ssl
import tempfile
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

#: How long a page load, a script or a wait for a condition may take.
PAGE_TIMEOUT = 30.0


class ChromiumMissing(RuntimeError):
    """Debian's chromium or chromedriver is not installed (scripts/setup installs them)."""


def served_certificate(url: str, ca_file: str, timeout: float = 10.0) -> bytes:
    """The DER certificate the server at ``url`` presents, verified against ``ca_file``
    (chain and host name) before anything is made of it."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    context = ssl.create_default_context(cafile=ca_file)
    with socket.create_connection((host, parts.port or 443), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
    if der is None:
        raise ssl.SSLError(f"{url} presented no certificate")
    return der


def _element(der: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of the contents, end) of the DER element at ``pos``."""
    tag, length = der[pos], der[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(der[pos:pos + count], "big")
        pos += count
    if pos + length > len(der):
        raise ValueError("truncated DER element")
    return tag, pos, pos + length


def spki_sha256(der_certificate: bytes) -> str:
    """Base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo (RFC 5280 §4.1), the
    form ``--ignore-certificate-errors-spki-list`` takes."""
    _, certificate, _ = _element(der_certificate, 0)
    _, pos, tbs_end = _element(der_certificate, certificate)
    children: list[tuple[int, int, int]] = []
    while pos < tbs_end and len(children) < 7:
        tag, _, end = _element(der_certificate, pos)
        children.append((tag, pos, end))
        pos = end
    if children and children[0][0] == 0xA0:  # [0] version: present in v3 certificates
        children = children[1:]
    # serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
    if len(children) < 6 or children[5][0] != 0x30:
        raise ValueError("no SubjectPublicKeyInfo in the certificate")
    _, start, end = children[5]
    return base64.b64encode(hashlib.sha256(der_certificate[start:end]).digest()).decode()


def check_installed() -> None:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise ChromiumMissing(f"{path} is missing: install Debian's {package} (scripts/setup does)")


def options(user_data_dir: str, trusted_spki: Sequence[str]) -> webdriver.ChromeOptions:
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        # Chromium's own sandbox needs user namespaces, which containers (and root) lack; the
        # pages loaded are the project's own sandbox's.
        "--no-sandbox",
        "--disable-dev-shm-usage",  # a container's /dev/shm is small
        f"--user-data-dir={user_data_dir}",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",  # no internet: no update or metrics requests
        "--disable-component-update",
        "--disable-extensions",
        "--disable-sync",
        "--lang=en-US",
        "--window-size=1024,900",
    ):
        opts.add_argument(arg)
    if trusted_spki:
        opts.add_argument("--ignore-certificate-errors-spki-list=" + ",".join(trusted_spki))
    return opts


@contextmanager
def chromium(trusted_spki: Sequence[str] = ()) -> Iterator[WebDriver]:
    """A headless Chromium with a fresh profile in a temporary directory, accepting the TLS
    keys ``trusted_spki`` (see :func:`spki_sha256`); quit and its profile removed on exit."""
    check_installed()
    user_data_dir = tempfile.mkdtemp(prefix="calbridge-chromium-")
    try:
        # An explicit driver path: Selenium Manager (which would download one) is never run.
        service = Service(executable_path=CHROMEDRIVER)
        driver = webdriver.Chrome(options=options(user_data_dir, trusted_spki), service=service)
        try:
            driver.set_page_load_timeout(PAGE_TIMEOUT)
            driver.set_script_timeout(PAGE_TIMEOUT)
            yield driver
        finally:
            driver.quit()
    finally:
        shutil.rmtree(user_data_dir, ignore_errors=True)
