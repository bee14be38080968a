"""Security of run parameters and of the local API: only http(s) URLs get in, the SSRF guard is not a UI
switch, paths stay inside the operator's data roots, and the API needs a login."""

from __future__ import annotations

import json
import os
import re
import stat

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from flows.params import (
    DATA_ROOTS_ENV,
    UP_LEVEL,
    BackfillParams,
    CleanParams,
    CrawlParams,
    OutsideDataRoots,
    _path_values,
    check_paths,
    data_roots,
    path_pattern,
)
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
        assert refused.fetched == 0 and dict(refused.refused) == {"address": 1} and not site.hits
        monkeypatch.setenv("TINSACH_ALLOW_PRIVATE_HOSTS", "loopback")
        allowed = crawl(crawl_config(params))
        assert allowed.fetched == 1


# --- Exposure: path parameters confined to the operator's data roots (issue 12, item 11) ---

@pytest.fixture
def rooted(tmp_path, monkeypatch):
    """One data root (TINSACH_DATA_ROOTS), the working directory inside it, and a folder outside."""
    root, outside = (tmp_path / "root").resolve(), (tmp_path / "outside").resolve()
    root.mkdir()
    outside.mkdir()
    monkeypatch.setenv(DATA_ROOTS_ENV, str(root))
    monkeypatch.chdir(root)
    return root, outside


@pytest.mark.parametrize("params", [
    CleanParams(out="/etc"), CleanParams(sources=["/"]), CleanParams(sources=["raw", "../outside"]),
    CrawlParams(sources_file="/etc/passwd"), CrawlParams(raw_dir="/var"), CrawlParams(out="clean/../../outside"),
    BackfillParams(site="vnexpress.net", raw_dir="/"), BackfillParams(site="vnexpress.net", out="/tmp"),
    CleanParams(out="bad\x00name"),
])
def test_a_path_outside_the_data_roots_is_refused_naming_the_parameter_the_path_and_the_roots(rooted, params):
    root, _ = rooted
    with pytest.raises(OutsideDataRoots) as refused:
        check_paths(params)
    message = str(refused.value)
    assert "params." in message and str(root) in message and DATA_ROOTS_ENV in message
    assert any(repr(path) in message for _, path in _path_values(params))


def test_paths_inside_the_roots_pass_relative_absolute_and_in_any_root(rooted, tmp_path, monkeypatch):
    root, outside = rooted
    check_paths(CleanParams())  # the defaults (raw, clean) are relative to the working directory
    check_paths(CrawlParams(sources_file=None, raw_dir=str(root / "raw"), out=str(root)))
    check_paths(CrawlParams(sources_file=""))  # empty: no sources file
    check_paths(BackfillParams(site="vnexpress.net", raw_dir="a/./b/../c", out=str(root / "x" / ".." / "y")))
    monkeypatch.setenv(DATA_ROOTS_ENV, f"{root}{os.pathsep}{outside}")
    check_paths(CleanParams(sources=[str(outside / "pages")], out=str(root / "clean")))


def test_a_symlink_out_of_a_root_is_refused_and_one_into_a_root_is_not(rooted, tmp_path):
    root, outside = rooted
    (root / "escape").symlink_to(outside)
    with pytest.raises(OutsideDataRoots, match=r"params\.out = .*escape/clean.* \(resolves to .*outside/clean\)"):
        check_paths(CleanParams(out="escape/clean"))
    (tmp_path / "alias").symlink_to(root)  # a root reached by another name is still that root
    check_paths(CleanParams(out=str(tmp_path / "alias" / "clean")))


def test_the_default_root_is_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.delenv(DATA_ROOTS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert data_roots() == [str(tmp_path.resolve())]
    check_paths(CleanParams(out="clean"))
    with pytest.raises(OutsideDataRoots):
        check_paths(CleanParams(out=str(tmp_path.parent)))


def test_the_form_refuses_outside_paths_and_dotdot_with_the_roots_in_the_message(rooted):
    """The server validates a new run against the deployment's schema with this very function."""
    root, _ = rooted
    from prefect.utilities.callables import parameter_schema
    from prefect.utilities.schema_tools.validation import ValidationError as SchemaError
    from prefect.utilities.schema_tools.validation import validate

    from flows.pipeline import backfill, clean_sources

    clean, crawl_schema = parameter_schema(clean_sources).model_dump(), parameter_schema(crawl_and_clean).model_dump()
    for schema, params, field in [
        (clean, {"out": "/etc"}, "params.out"), (clean, {"sources": ["raw", "/"]}, "params.sources[1]"),
        (clean, {"out": f"{root}/../x"}, "params.out"), (clean, {"out": "clean/.."}, "params.out"),
        (crawl_schema, {"sources_file": "/etc/passwd"}, "params.sources_file"),
        (parameter_schema(backfill).model_dump(), {"site": "a.vn", "raw_dir": "/var"}, "params.raw_dir"),
    ]:
        with pytest.raises(SchemaError, match=re.escape(f"field '{field}'")) as refused:
            validate({"params": params}, schema, raise_on_error=True)
        assert str(root) in str(refused.value) or "should not be valid" in str(refused.value)
    for params in [{"out": "clean"}, {"out": str(root / "clean"), "sources": [str(root), "raw/2026"]}]:
        validate({"params": params}, clean, raise_on_error=True)
    validate({"params": {"sources_file": ""}}, crawl_schema, raise_on_error=True)
    validate({"params": {"sources_file": None}}, crawl_schema, raise_on_error=True)
    assert str(root) in CleanParams.model_json_schema()["properties"]["out"]["description"]


SEGMENTS = ["a", "b", ".", "..", "", "~", "root", "outside"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.sampled_from(["", "/", "root", "outside", "parent"]), parts=st.lists(st.sampled_from(SEGMENTS), max_size=6))
def test_what_the_form_lets_through_the_flow_accepts_when_there_are_no_symlinks(rooted, start, parts):
    """The form's pattern is the lexical half of the check: it never admits a path the flow would refuse."""
    root, outside = rooted
    base = {"": "", "/": "/", "root": str(root), "outside": str(outside), "parent": str(root.parent)}[start]
    path = "/".join([base, *parts]) if base else "/".join(parts)
    if not path:
        return
    in_form = re.search(path_pattern(data_roots(), os.getcwd()), path) and not re.search(UP_LEVEL, path)
    if in_form:
        check_paths(CleanParams(out=path))


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


@pytest.mark.usefixtures("prefect_server")
def test_the_cli_is_the_operator_and_is_not_confined(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from flows.cli import app
    from flows.pipeline import ALLOW_PRIVATE_ENV

    monkeypatch.setenv(DATA_ROOTS_ENV, str(tmp_path / "elsewhere"))  # restored after the test
    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "0")
    with FixtureSite(crawl_delay=0.0) as site:
        result = CliRunner().invoke(app, ["crawl", site.url("/news/a.html"), "--raw", str(tmp_path / "raw"),
                                          "--out", str(tmp_path / "clean"), "--delay", "0", "--allow-private", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["clean"]["written"] == 1
