"""`tinsach serve`: one `prefect.serve(...)` process that registers and runs tinsach's deployments."""

from __future__ import annotations

import os

from prefect import serve
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from flows.params import CleanParams, CrawlParams, ServeConfig
from flows.pipeline import backfill, clean_sources, crawl_and_clean

# The runner asks the API for scheduled and UI-triggered runs this often: a click in the UI starts
# within about this many seconds (Prefect's default is 10).
POLL_SECONDS = "2"
TAGS = ["tinsach"]


def deployments(config: ServeConfig) -> list[RunnerDeployment]:
    """The three deployments: scheduled crawl-and-clean, manual clean, backfill/re-clean of a site."""
    return [
        crawl_and_clean.to_deployment(
            name="scheduled-crawl",
            schedules=[Cron(config.cron, timezone=config.timezone)],
            paused=config.paused,
            parameters={"params": CrawlParams(sources_file=config.sources_file).model_dump()},
            description="Every few hours: fetch what is new from the sites in sources.toml into raw/, clean it, "
                        "deduplicate it and append it to the dataset. Run it now with 'Quick run', or "
                        "'Custom run' to add URLs.",
            tags=TAGS,
        ),
        clean_sources.to_deployment(
            name="clean-sources",
            parameters={"params": CleanParams().model_dump()},
            description="Clean files or folders already on this machine (HTML, .txt dumps, WARC) into the dataset.",
            tags=TAGS,
        ),
        backfill.to_deployment(
            name="backfill-site",
            description="Re-clean the raw pages of one site, optionally between two dates, into a dataset "
                        "(a new output folder gives a fresh re-clean with the current rules).",
            tags=TAGS,
        ),
    ]


def run(config: ServeConfig) -> None:
    """Register the deployments and serve them until interrupted."""
    os.environ.setdefault("PREFECT_RUNNER_POLL_FREQUENCY", POLL_SECONDS)
    serve(*deployments(config))
