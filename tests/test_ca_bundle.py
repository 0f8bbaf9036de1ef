"""`http.ca_bundle` over real TLS: every client fails against a private CA without it and succeeds with it.

The simulator's fakes are served over TLS (uvicorn with a certificate for 127.0.0.1 signed by a CA made here); the
bundle adds that CA to what each client trusts, it never replaces the public CAs. A wrong bundle is a
configuration error naming the key, never a traceback.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import httpx2
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from syncer import cli, tls
from syncer.config import loader
from syncer.config.http import HttpConfig
from syncer.config.schema import Config, DatadogConfig, GithubSource, JiraSource, PagerDutySource
from syncer.datadog.client import DatadogClient
from syncer.errors import ConfigError
from syncer.model import Integration
from syncer.retry import RetryPolicy
from syncer.simulator import seed
from syncer.simulator.datadog import FakeDatadog
from syncer.simulator.github.fake import FakeGitHub
from syncer.simulator.jira import FakeJira
from syncer.simulator.pagerduty import FakePagerDuty
from syncer.simulator.server import FakeServer
from syncer.sources import factory
from syncer.sources.github import GithubRepos
from syncer.sources.jira import JiraProjects
from syncer.sources.pagerduty import PagerDutyAccounts

ONCE = RetryPolicy(attempts=1)


@dataclass(frozen=True)
class Pki:
    """A private CA (`ca`, PEM) and a server certificate for 127.0.0.1 and localhost signed by it."""

    ca: Path
    cert: Path
    key: Path


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_pki(folder: Path) -> Pki:
    """A CA and a 127.0.0.1 server certificate, written to `folder`."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("syncer test CA"))
        .issuer_name(_name("syncer test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )  # digital_signature, key_cert_sign, crl_sign
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pki = Pki(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    pki.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pki.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pki.key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return pki


def start_tls(fake: FakeServer, pki: Pki) -> str:
    """Start `fake` serving HTTPS with the PKI's server certificate; its https:// base URL."""
    real = uvicorn.Config
    uvicorn.Config = functools.partial(real, ssl_certfile=str(pki.cert), ssl_keyfile=str(pki.key))  # type: ignore[misc]
    try:
        fake.start()
    finally:
        uvicorn.Config = real  # type: ignore[misc]
    return fake.url.replace("http://", "https://", 1)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """The test's private CA and server certificate."""
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(autouse=True)
def no_extra_ca() -> Iterator[None]:
    """Every test starts, and leaves, with no http.ca_bundle installed."""
    tls.use(HttpConfig())
    yield
    tls.use(HttpConfig())


def served(fake: FakeServer, pki: Pki) -> Iterator[tuple[Any, str]]:
    url = start_tls(fake, pki)
    try:
        yield fake, url
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def github_tls(pki: Pki) -> Iterator[tuple[FakeGitHub, str]]:
    """The fake github.com over TLS, and its https:// URL."""
    yield from served(FakeGitHub(), pki)


@pytest.fixture(scope="module")
def jira_tls(pki: Pki) -> Iterator[tuple[FakeJira, str]]:
    """A fake Jira Cloud site over TLS."""
    yield from served(FakeJira("acme.atlassian.net"), pki)


@pytest.fixture(scope="module")
def pagerduty_tls(pki: Pki) -> Iterator[tuple[FakePagerDuty, str]]:
    """The fake PagerDuty API over TLS."""
    yield from served(FakePagerDuty(), pki)


@pytest.fixture(scope="module")
def datadog_tls(pki: Pki) -> Iterator[tuple[FakeDatadog, str]]:
    """The fake Datadog API over TLS."""
    yield from served(FakeDatadog(), pki)


def trusting(pki: Pki) -> HttpConfig:
    return HttpConfig(ca_bundle=str(pki.ca))


def no_sleep(_: float) -> None:
    return None


# -- the configuration -----------------------------------------------------------------------------------------


def config_file(folder: Path, ca_bundle: str) -> Path:
    file = folder / "syncer.yaml"
    file.write_text(
        "datadog: {api_key: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, app_key: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb}\n"
        "github: {sources: [{token: " + "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789" + ", orgs: [acme]}]}\n"
        f"http: {{ca_bundle: {ca_bundle!r}}}\n"
    )
    return file


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "cannot read"),
        ("", "holds no PEM certificate"),
        ("not a certificate\n", "holds no PEM certificate"),
        ("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n", "not a readable PEM"),
        ("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n", "holds a private key"),
    ],
)
def test_a_missing_or_bad_bundle_is_a_configuration_error_naming_the_key(
    tmp_path: Path, content: str | None, says: str
) -> None:
    if content is not None:
        (tmp_path / "bad.pem").write_text(content)

    with pytest.raises(ConfigError) as raised:
        loader.load(config_file(tmp_path, str(tmp_path / "bad.pem")), env={})

    assert "http.ca_bundle" in str(raised.value)
    assert says in str(raised.value)
    assert "Traceback" not in str(raised.value)


def test_syncer_validate_exits_2_naming_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["validate", "--config", str(config_file(tmp_path, "missing.pem"))])

    err = capsys.readouterr().err
    assert code == 2
    assert "http.ca_bundle" in err
    assert "Traceback" not in err


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"http\.ca_bundle.*directory"):
        loader.load(config_file(tmp_path, str(tmp_path)), env={})


def test_a_relative_bundle_is_relative_to_the_base_the_loader_gives(tmp_path: Path, pki: Pki) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.pem").write_bytes(pki.ca.read_bytes())

    http = HttpConfig.model_validate({"ca_bundle": "certs/ca.pem"}, context={"base": tmp_path})

    assert http.ca_bundle == str(tmp_path / "certs" / "ca.pem")


def test_a_relative_bundle_in_the_file_is_relative_to_the_files_folder(
    tmp_path: Path, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "ca.pem").write_bytes(pki.ca.read_bytes())
    monkeypatch.chdir(tmp_path)  # not the working directory's ca.pem: there is none

    config = loader.load(config_file(tmp_path / "conf", "ca.pem"), env={})

    assert config.http.ca_bundle == str(tmp_path / "conf" / "ca.pem")


def test_a_good_bundle_loads_and_is_kept_as_an_absolute_path(tmp_path: Path, pki: Pki) -> None:
    config = loader.load(config_file(tmp_path, str(pki.ca)), env={})

    assert config.http.ca_bundle == str(pki.ca)


def test_a_bundle_gone_since_the_load_fails_the_start_naming_the_key(tmp_path: Path, pki: Pki) -> None:
    copy = tmp_path / "ca.pem"
    copy.write_bytes(pki.ca.read_bytes())
    http = trusting(Pki(copy, pki.cert, pki.key))
    copy.unlink()

    with pytest.raises(ConfigError, match=r"^http\.ca_bundle: cannot read"):
        tls.use(http)


# -- public trust is kept -------------------------------------------------------------------------------------


def test_the_httpx_contexts_trust_their_defaults_and_the_extra_ca(pki: Pki) -> None:
    for made, default in ((tls.httpx_verify, httpx.create_ssl_context), (tls.httpx2_verify, httpx2.create_ssl_context)):
        context = made(trusting(pki))
        assert isinstance(context, ssl.SSLContext)
        usual = default().cert_store_stats()["x509_ca"]
        assert context.cert_store_stats()["x509_ca"] == usual + 1  # one more CA, none lost
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname
        subjects = [dict(item[0] for item in c["subject"]).get("commonName") for c in context.get_ca_certs()]
        assert "syncer test CA" in subjects
        assert made(trusting(pki)) is context  # made once per bundle version, shared
        assert made(HttpConfig()) is True


def test_the_requests_bundle_is_the_default_cas_then_the_extra_one_in_a_private_file(pki: Pki) -> None:
    path = tls.requests_verify(trusting(pki))
    assert isinstance(path, str)
    text = Path(path).read_text()
    default = Path(tls._requests_cas()).read_text()

    assert text.startswith(default.rstrip())
    assert text.rstrip().endswith(pki.ca.read_text().strip())
    assert Path(path).stat().st_mode & 0o777 == 0o600
    assert tls.requests_verify(trusting(pki)) == path  # written once


def test_without_a_bundle_requests_trusts_what_it_would_by_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    assert tls.requests_verify(HttpConfig()) is True
    monkeypatch.setenv("CURL_CA_BUNDLE", "/etc/curl.pem")
    assert tls.requests_verify(HttpConfig()) == "/etc/curl.pem"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/requests.pem")
    assert tls.requests_verify(HttpConfig()) == "/etc/requests.pem"


# -- every client, over TLS -----------------------------------------------------------------------------------


def test_github_fails_without_the_bundle_and_lists_with_it(github_tls: tuple[FakeGitHub, str], pki: Pki) -> None:
    fake, url = github_tls
    source = GithubSource.model_validate({"api_url": url, "token": fake.token, "orgs": ["acme-labs"]})

    [refused] = GithubRepos(source, 2, ONCE, no_sleep).discover()
    tls.use(trusting(pki))
    [listed] = GithubRepos(source, 2, ONCE, no_sleep).discover()

    assert not refused.ok
    assert "SSL" in (refused.error or "")
    assert listed.ok, listed.error
    assert listed.seen == len(fake.orgs["acme-labs"])


def test_the_github_app_token_exchange_trusts_the_bundle(github_tls: tuple[FakeGitHub, str], pki: Pki) -> None:
    fake, url = github_tls
    app = {"app_id": fake.app_id, "private_key": fake.app_private_key}
    source = GithubSource.model_validate({"api_url": url, "app": app, "orgs": ["acme-labs"]})

    refused = GithubRepos(source, 2, ONCE, no_sleep).discover()
    fake.reset_counters()
    tls.use(trusting(pki))
    [listed] = GithubRepos(source, 2, ONCE, no_sleep).discover()

    assert all(not d.ok and "SSL" in (d.error or "") for d in refused)
    assert listed.ok, listed.error
    assert fake.count("POST", r"/access_tokens$") == 1
    assert fake.count("GET", r"^/app/installations$") >= 1


def test_the_factory_installs_the_configured_bundle(github_tls: tuple[FakeGitHub, str], pki: Pki) -> None:
    fake, url = github_tls
    config = Config.model_validate(
        {
            "datadog": {"api_key": "a" * 32, "app_key": "b" * 40},
            "github": {"sources": [{"api_url": url, "token": fake.token, "orgs": ["acme-labs"]}]},
            "http": {"ca_bundle": str(pki.ca)},
        }
    )

    [source] = factory.sources(Integration.GITHUB, config, ONCE, no_sleep)
    [listed] = source.discover()

    assert listed.ok, listed.error
    assert tls.current().ca_bundle == str(pki.ca)


def test_jira_fails_without_the_bundle_and_lists_with_it(jira_tls: tuple[FakeJira, str], pki: Pki) -> None:
    _, url = jira_tls
    source = JiraSource.model_validate(
        {
            "hostname": "acme.atlassian.net",
            "url": url,
            "account_id": "123456789",
            "email": seed.JIRA_EMAIL,
            "api_token": seed.JIRA_API_TOKEN,
        }
    )

    [refused] = JiraProjects(source, ONCE, no_sleep).discover()
    tls.use(trusting(pki))
    [listed] = JiraProjects(source, ONCE, no_sleep).discover()

    assert not refused.ok
    assert "TLS" in (refused.error or "")
    assert listed.ok, listed.error
    assert listed.seen > 0


def test_jira_trusts_the_bundle_even_with_requests_ca_bundle_set(
    jira_tls: tuple[FakeJira, str], pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, url = jira_tls
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", tls._requests_cas())  # requests would let it replace session.verify
    source = JiraSource.model_validate({"hostname": "jira.test", "url": url, "account_id": "1", "token": "pat"})
    tls.use(trusting(pki))

    [listed] = JiraProjects(source, ONCE, no_sleep).discover()

    assert "TLS" not in (listed.error or "")


def test_pagerduty_fails_without_the_bundle_and_lists_with_it(
    pagerduty_tls: tuple[FakePagerDuty, str], pki: Pki
) -> None:
    _, url = pagerduty_tls
    source = PagerDutySource.model_validate({"token": seed.PAGERDUTY_TOKEN, "api_url": url})

    [refused] = PagerDutyAccounts(source, 0, None, ONCE, no_sleep).discover()
    tls.use(trusting(pki))
    [listed] = PagerDutyAccounts(source, 0, None, ONCE, no_sleep).discover()

    assert not refused.ok
    assert "ConnectError" in (refused.error or "")
    assert listed.ok, listed.error


def test_an_httpx_client_given_httpx_verify_reaches_datadog(datadog_tls: tuple[FakeDatadog, str], pki: Pki) -> None:
    fake, url = datadog_tls
    headers = {"DD-API-KEY": fake.api_key, "DD-APPLICATION-KEY": fake.app_key}

    with pytest.raises(httpx.ConnectError), httpx.Client(base_url=url, verify=tls.httpx_verify(HttpConfig())) as plain:
        plain.get("/api/v1/validate", headers=headers)
    with httpx.Client(base_url=url, verify=tls.httpx_verify(trusting(pki))) as client:
        answer = client.get("/api/v1/validate", headers=headers)

    assert answer.status_code == 200


def test_the_datadog_client_trusts_the_bundle(datadog_tls: tuple[FakeDatadog, str], pki: Pki) -> None:
    fake, url = datadog_tls
    config = DatadogConfig.model_validate({"api_key": fake.api_key, "app_key": fake.app_key, "api_url": url})

    with cast(Any, DatadogClient)(config, retry=ONCE, sleep=no_sleep, http=trusting(pki)) as client:
        client.validate_keys()
