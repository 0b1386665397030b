"""Where each writer puts data in the raw and curated zones, and what crawlers read or skip."""

from __future__ import annotations

from components.data_product.catalog import ARTIFACTS_PREFIX

# Raw-zone prefixes: each writer has its own, so policies and rules can be scoped to it.
BATCH_PREFIX = "batch/"
SFTP_PREFIX = "sftp/"
STREAMING_PREFIX = "streaming/"
STREAMING_ERRORS_PREFIX = "streaming-errors/"
QUARANTINE_PREFIX = "quarantine/"
REJECTED_PREFIX = "rejected/"
CURATED_BATCH_PREFIX = "batch/"
# Where the ETL job stages a run's output before publishing it (functions/batch_etl/job.py).
STAGING_DIR = "_staging/"
# Rows the reportable job could not shape into a dataset, one JSON line each with the reason
# (functions/reportable), in the curated zone: they are curated data, not reportable.
REPORTABLE_QUARANTINE_PREFIX = "_quarantine/reportable/"
# The reportable job's metrics (functions/reportable): QualityScore, RowsPublished, RowsRejected.
DATASET_METRICS_NAMESPACE = "DataDeliveryPlatform/Datasets"
# The arrival handler's own metrics (functions/arrival_handler/handler.py, embedded metric format).
ARRIVAL_METRICS_NAMESPACE = "DataDeliveryPlatform/ArrivalHandler"

def curated_crawl_exclusions() -> tuple[str, ...]:
    """What the curated crawler must not catalog: the jobs' scripts, a run's output while it is
    still staged (it is published, or discarded, by the next step of the job), and rows the
    reportable job quarantined."""
    return (f"{ARTIFACTS_PREFIX}**", f"{CURATED_BATCH_PREFIX}{STAGING_DIR}**", f"{REPORTABLE_QUARANTINE_PREFIX}**")


def raw_crawl_prefixes(ingestion) -> list[str]:
    """Raw data that no ETL turns into curated data is crawled where it lands: streamed records,
    and SFTP files when there is no batch ETL to pick them up."""
    return ([STREAMING_PREFIX] if ingestion.streaming else []) + \
        ([SFTP_PREFIX] if ingestion.sftp and not ingestion.batch else [])


ALLOWED_SUFFIXES = (".csv", ".json", ".jsonl", ".parquet")
MAX_OBJECT_BYTES = 5 * 1024 ** 3
SFTP_PORT = 22
# Firehose needs at least 64 MiB buffers with dynamic partitioning.
FIREHOSE_BUFFER_MIB = 64
FIREHOSE_PARTITION_RETRY_SECONDS = 300
FIREHOSE_FRESHNESS_ALARM_SECONDS = 900
GLUE_FAILURE_STATES = ("FAILED", "TIMEOUT")
