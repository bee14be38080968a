"""Security of run parameters: only http(s) URLs get in, and the SSRF guard is not a UI switch."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from flows.params import CrawlParams
from flows.pipeline import crawl_and_clean, crawl_config
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
