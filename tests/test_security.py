"""Security of run parameters and of the local API: only http(s) URLs get in, the SSRF guard is not a UI
switch, and the API needs a login."""

from __future__ import annotations

import stat

import pytest
from pydantic import ValidationError

from flows.params import CrawlParams
from flows.pipeline import crawl_and_clean, crawl_config
from flows.server import (
    AUTH_ENV,
    SERVER_AUTH_ENV,
    CredentialError,
    client_credential,
    credential_file,
    server_credential,
    server_env,
)
from scraper import crawl
from tests.fixture_site import FixtureSite


@pytest.mark.parametrize("url", ["file:///etc/passwd", "javascript:alert(1)", "ftp://baomau.vn/a", "http://",
                                 "gopher://127.0.0.1:6379/_INFO", "http://user:secret@baomau.vn/a.html"])
def test_crawl_parameters_refuse_what_is_not_a_plain_http_url(url):
    with pytest.raises(ValidationError):
        CrawlParams(urls=[url])


def test_the_ssrf_guard_is_not_a_run_parameter():
    from prefect.utilities.callables import parameter_schema

    assert set(parameter_schema(crawl_and_clean).properties) == {"params"}
    assert "allow_private_hosts" not in CrawlParams.model_json_schema()["properties"]


def test_loopback_urls_are_refused_unless_the_operator_allows_them(tmp_path, monkeypatch):
    with FixtureSite(crawl_delay=0.0) as site:
        params = CrawlParams(sources_file=None, urls=[site.url("/news/a.html")], raw_dir=str(tmp_path / "raw"),
                             delay_seconds=0.0)
        monkeypatch.delenv("TINSACH_ALLOW_PRIVATE_HOSTS", raising=False)
        refused = crawl(crawl_config(params))
        assert refused.fetched == 0 and sum(refused.refused.values()) == 1 and not site.hits
        monkeypatch.setenv("TINSACH_ALLOW_PRIVATE_HOSTS", "1")
        allowed = crawl(crawl_config(params))
        assert allowed.fetched == 1


# --- Exposure: the local API's basic auth ---

def test_the_generated_credential_is_random_private_and_kept(tmp_path, monkeypatch):
    for name in (AUTH_ENV, SERVER_AUTH_ENV):
        monkeypatch.delenv(name, raising=False)
    first, origin = server_credential(tmp_path / "home")
    path = credential_file(tmp_path / "home")
    assert origin == str(path) and stat.S_IMODE(path.stat().st_mode) == 0o600
    user, _, password = first.partition(":")
    assert user == "tinsach" and len(password) >= 40
    assert server_credential(tmp_path / "home")[0] == first  # generated once, kept across restarts
    assert server_credential(tmp_path / "other")[0] != first


def test_an_operator_credential_wins_and_is_never_written(tmp_path, monkeypatch):
    monkeypatch.setenv(AUTH_ENV, "ops:correct horse battery staple")
    assert server_credential(tmp_path) == ("ops:correct horse battery staple", AUTH_ENV)
    assert not credential_file(tmp_path).exists()
    env = server_env(4200, "ops:correct horse battery staple", base={SERVER_AUTH_ENV: "old:one"})
    assert env[SERVER_AUTH_ENV] == env["PREFECT_API_AUTH_STRING"] == "ops:correct horse battery staple"
    assert SERVER_AUTH_ENV not in server_env(4200, None, base={SERVER_AUTH_ENV: "old:one"})  # --no-auth
    for bad in ("nopassword", ":nouser", "user:", "a:b\nc"):
        monkeypatch.setenv(AUTH_ENV, bad)
        with pytest.raises(CredentialError, match=AUTH_ENV):
            server_credential(tmp_path)


def test_a_credential_file_others_can_read_or_a_symlink_is_refused(tmp_path, monkeypatch):
    for name in (AUTH_ENV, SERVER_AUTH_ENV):
        monkeypatch.delenv(name, raising=False)
    server_credential(tmp_path)
    path = credential_file(tmp_path)
    path.chmod(0o644)
    with pytest.raises(CredentialError, match="readable by its owner only"):
        server_credential(tmp_path)
    path.unlink()
    (tmp_path / "elsewhere").write_text("x:y\n")
    path.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(CredentialError, match="symlink"):
        client_credential("http://127.0.0.1:4200/api", tmp_path)


def test_clients_send_the_generated_credential_to_the_local_server_only(tmp_path, monkeypatch):
    for name in (AUTH_ENV, SERVER_AUTH_ENV):
        monkeypatch.delenv(name, raising=False)
    credential, _ = server_credential(tmp_path)
    for url in ("http://127.0.0.1:4200/api", "http://localhost:4200/api", "http://[::1]:4200/api"):
        assert client_credential(url, tmp_path) == credential
    assert client_credential("https://prefect.example.org/api", tmp_path) is None
    assert client_credential(None, tmp_path) is None  # ephemeral: no server to log in to
    monkeypatch.setenv(AUTH_ENV, "ops:secret")  # the operator's own choice goes wherever they point it
    assert client_credential("https://prefect.example.org/api", tmp_path) == "ops:secret"
