"""Deployments as users operate them: a real Prefect server, the `tinsach serve` process, runs
triggered through the API the UI uses, and the UI itself in headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import time

import httpx
import pyarrow.dataset as ds
import pytest

from flows.params import DATA_ROOTS_ENV
from flows.server import credential_file, read_credential
from tests.conftest import ROOT, SEEDS

ARTIFACTS = ROOT / "tests" / "artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
        except Exception:
            result = None
        if result:
            return result
        time.sleep(0.5)
    raise TimeoutError(f"gave up waiting for {what}")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A Prefect server on a free loopback port, and `tinsach serve` registered against it.

    As `make server` then `make serve`: the server generates its credential into PREFECT_HOME and
    `tinsach serve` finds it there; runs may use the repository and one data folder (TINSACH_DATA_ROOTS).
    """
    home = tmp_path_factory.mktemp("prefect-home")
    data = tmp_path_factory.mktemp("data-root")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "TINSACH_"))}
    env.update(PREFECT_HOME=str(home), PREFECT_LOGGING_EXTRA_LOGGERS="cleaners,dataset,scraper")
    logs = home / "server.log"
    # the same command and settings as `make server` (retention and login included), on a free port
    server = subprocess.Popen([sys.executable, "-m", "flows.cli", "server", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=logs.open("wb"), stderr=subprocess.STDOUT)
    serve = None
    try:
        wait_for(lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200, 180, "the Prefect server")
        auth = read_credential(credential_file(home))
        serve_env = {**env, "PREFECT_API_URL": api, DATA_ROOTS_ENV: f"{ROOT}{os.pathsep}{data}"}
        serve = subprocess.Popen([sys.executable, "-m", "flows.cli", "serve"], env=serve_env, cwd=ROOT,
                                 stdout=(home / "serve.log").open("wb"), stderr=subprocess.STDOUT)
        from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: api, PREFECT_API_AUTH_STRING: auth}):
            from prefect.client.orchestration import get_client

            def registered():
                with get_client(sync_client=True) as client:
                    return client.read_deployment_by_name("tinsach-clean-sources/clean-sources")

            deployment = wait_for(registered, 120, "the deployments of `tinsach serve`")
            yield {"api": api, "port": port, "deployment": deployment, "home": home, "auth": auth, "data": data}
    finally:
        for process in (serve, server):
            if process is not None:
                process.terminate()
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()


def logged_in(served):
    """Prefect settings for a client of the served API, with its credential."""
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    return temporary_settings(updates={PREFECT_API_URL: served["api"], PREFECT_API_AUTH_STRING: served["auth"]})


def test_ui_triggered_run_writes_the_dataset(served):
    from prefect.deployments import run_deployment

    out = served["data"] / "clean"  # inside a data root
    with logged_in(served):
        flow_run = run_deployment("tinsach-clean-sources/clean-sources", timeout=300,
                                  parameters={"params": {"sources": [str(SEEDS)], "out": str(out), "batch_size": 2}})
        assert flow_run.state is not None and flow_run.state.is_completed(), flow_run.state
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            artifacts = client.read_artifacts()
            assert any(a.key == "tinsach-clean-report" and "5** inputs" in (a.data or "") for a in artifacts)
            # the library's own log lines (logger "dataset.runner") reach the API, batched by Prefect
            wait_for(lambda: any("batch 0:" in log.message for log in client.read_logs()), 30, "cleaners' logs")
    table = ds.dataset(out, format="parquet", partitioning="hive").to_table()
    assert table.num_rows == 5


def test_parameter_form_schema(served):
    schema = served["deployment"].parameter_openapi_schema
    params = schema["definitions"]["CleanParams"]["properties"]
    assert params["batch_size"]["maximum"] == 10_000 and params["batch_size"]["minimum"] == 1
    assert all(field.get("description") for field in params.values())
    assert schema["properties"]["params"]["$ref"].endswith("CleanParams") or "allOf" in schema["properties"]["params"]


def test_the_crawl_is_scheduled_in_vietnam_time(served):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    with logged_in(served), get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("tinsach-crawl-and-clean/scheduled-crawl")
        (schedule,) = deployment.schedules
        assert schedule.schedule.timezone == "Asia/Ho_Chi_Minh" and schedule.active

        def scheduled():
            runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])))
            return [r for r in runs if r.state and r.state.is_scheduled()]

        runs = wait_for(scheduled, 120, "the scheduler to create runs")
        assert runs[0].expected_start_time is not None


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make ui-deps installs it)")
def test_the_ui_shows_the_run_form(served):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = f"http://127.0.0.1:{served['port']}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/deployments/deployment/{served['deployment'].id}/run", wait_until="networkidle")
        # the API needs the login: the UI asks for the whole credential, user:password, in one field
        page.get_by_placeholder("admin:pass").fill(served["auth"])
        page.get_by_role("button", name="Login").click()
        page.get_by_text("Pages per task", exact=False).first.wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "ui-run-form.png"), full_page=True)
        assert page.get_by_text("batch_size", exact=False).count() + page.get_by_text("Batch Size", exact=False).count() > 0
        browser.close()


def test_the_api_refuses_calls_without_the_credential(served):
    url = f"{served['api']}/deployments/filter"
    assert httpx.post(url, json={}, timeout=10).status_code == 401
    assert httpx.post(url, json={}, auth=("tinsach", "guess"), timeout=10).status_code == 401
    user, _, password = served["auth"].partition(":")
    answer = httpx.post(url, json={}, auth=(user, password), timeout=10)
    assert answer.status_code == 200 and "clean-sources" in {d["name"] for d in answer.json()}
    # generated once by `tinsach server`, readable by its owner only; the UI shows its login page
    assert stat.S_IMODE(credential_file(served["home"]).stat().st_mode) == 0o600 and len(password) >= 40
    ui = httpx.get(f"http://127.0.0.1:{served['port']}/ui-settings", timeout=10).json()
    assert ui["auth"] == "BASIC"


def create_run(served, params, enforce_schema=True):
    """POST a run of clean-sources as the UI does (or as any API client may: with the schema check off)."""
    user, _, password = served["auth"].partition(":")
    for _ in range(5):  # 503: SQLite busy with the scheduler; Prefect's own client retries it the same way
        answer = httpx.post(f"{served['api']}/deployments/{served['deployment'].id}/create_flow_run",
                            auth=(user, password), timeout=30,
                            json={"parameters": {"params": params}, "enforce_parameter_schema": enforce_schema})
        if answer.status_code != 503:
            break
        time.sleep(2)
    return answer


def test_the_form_refuses_paths_outside_the_data_roots(served, tmp_path):
    data, outside = served["data"], tmp_path  # tmp_path: not under a data root
    # the message names the field and the roots (outside), or the `..` it refuses
    for field, params, says in [
        ("params.out", {"sources": [str(SEEDS)], "out": str(outside / "ds")}, f"does not match '^(?:{ROOT}(?:/|$)|"),
        ("params.sources[0]", {"sources": [str(outside)], "out": str(data / "ds")}, data.name),
        ("params.out", {"sources": [str(SEEDS)], "out": f"{data}/../escaped"}, r"should not be valid under {'pattern': '(?:^|/)\\.\\."),
        ("params.sources[0]", {"sources": ["raw/../../.."], "out": "clean"}, "should not be valid"),
    ]:
        answer = create_run(served, params)
        assert answer.status_code == 409, (params, answer.text)
        detail = answer.json()["detail"]
        assert f"field '{field}'" in detail and says in detail, detail
    assert not any(outside.iterdir()) and not (data.parent / "escaped").exists()
    # the form says where paths may point
    schema = served["deployment"].parameter_openapi_schema["definitions"]["CleanParams"]["properties"]
    assert str(data) in schema["out"]["description"] and str(ROOT) in schema["sources"]["description"]


def test_a_run_cannot_escape_the_roots_through_a_symlink_or_without_the_form(served, tmp_path):
    data, outside = served["data"], tmp_path
    (data / "link").symlink_to(outside, target_is_directory=True)
    # lexically inside, so the form lets it through: the flow resolves it and refuses to start
    through_link = create_run(served, {"sources": [str(SEEDS)], "out": str(data / "link" / "ds")})
    # any API client may switch the schema check off: the flow still refuses
    unchecked = create_run(served, {"sources": [f"{data}/../{outside.name}"], "out": str(outside / "ds")},
                           enforce_schema=False)
    assert through_link.status_code == unchecked.status_code == 201, (through_link.text, unchecked.text)
    user, _, password = served["auth"].partition(":")

    def finished(run_id):
        run = httpx.get(f"{served['api']}/flow_runs/{run_id}", auth=(user, password), timeout=10).json()
        return run if run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None

    first = wait_for(lambda: finished(through_link.json()["id"]), 180, "the run through the symlink")
    second = wait_for(lambda: finished(unchecked.json()["id"]), 180, "the run without the schema check")
    assert first["state"]["type"] == second["state"]["type"] == "FAILED"
    assert "params.out" in first["state"]["message"] and "outside the data roots" in first["state"]["message"]
    assert "params.sources[0]" in second["state"]["message"] and "params.out" in second["state"]["message"]
    assert str(data) in second["state"]["message"] and DATA_ROOTS_ENV in second["state"]["message"]
    assert not any(outside.iterdir())  # nothing written outside


def test_a_run_waits_for_the_datasets_commit_slot(served):
    """Deployment runs take the dataset's global concurrency limit around their commit: with its one slot
    held elsewhere (a run on another machine sharing the folder), a run cleans, says it waits, writes
    nothing, and commits once the slot is free."""
    from prefect.client.orchestration import get_client
    from prefect.concurrency.sync import concurrency
    from prefect.deployments import run_deployment

    from flows.pipeline import commit_limit_name, ensure_commit_limit

    out = served["data"] / "slot"
    name = commit_limit_name(out)
    with logged_in(served), get_client(sync_client=True) as client:
        ensure_commit_limit(name)
        assert client.read_global_concurrency_limit_by_name(name).limit == 1
        with concurrency(name, occupy=1, strict=True):  # the other machine's commit
            flow_run = run_deployment("tinsach-clean-sources/clean-sources", timeout=0,
                                      parameters={"params": {"sources": [str(SEEDS)], "out": str(out)}})
            wait_for(lambda: any("waiting for the commit slot" in log.message for log in client.read_logs()
                                 if log.flow_run_id == flow_run.id), 180, "the run to wait for the slot")
            time.sleep(2)
            assert not list(out.glob("site=*/*.parquet"))  # cleaned and staged, not committed
        done = wait_for(lambda: (run := client.read_flow_run(flow_run.id)).state.is_final() and run, 180,
                        "the run to commit")
        assert done.state.is_completed(), done.state
    assert ds.dataset(out, format="parquet", partitioning="hive").to_table().num_rows == 5
