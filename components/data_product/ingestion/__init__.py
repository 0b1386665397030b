"""The four ingestion modes of a data product, plus the raw-zone arrival check they share.

- batch: Glue ETL raw -> curated (bookmarks, metrics, continuous logs, the product's security
  configuration), on a schedule and/or per arriving file; failures notify the alarm topic.
- streaming: Kinesis (product key) -> Firehose -> raw zone, records validated and partitioned by
  the record_processor Lambda.
- sftp: Transfer Family SFTP server inside the VPC (no public endpoint), one LOGICAL home per user.
- events: EventBridge rules on the product bus route each declared source to the ods_writer Lambda.
- arrival: Object Created events of the raw zone (batch/ and sftp/ uploads) go to the
  arrival_handler Lambda, which quarantines bad files and starts the ETL job or a crawler.
"""

from components.data_product.ingestion.arrival import Arrival, arrival
from components.data_product.ingestion.batch import Batch, batch
from components.data_product.ingestion.events import Events, event_bus_name, events
from components.data_product.ingestion.prefixes import (BATCH_PREFIX, SFTP_PREFIX, curated_crawl_exclusions,
                                                        raw_crawl_prefixes)
from components.data_product.ingestion.sftp import Sftp, check_cidrs, sftp
from components.data_product.ingestion.streaming import Streaming, streaming

__all__ = ["Arrival", "BATCH_PREFIX", "Batch", "Events", "SFTP_PREFIX", "Sftp", "Streaming", "arrival", "batch",
           "check_cidrs", "curated_crawl_exclusions", "event_bus_name", "events", "raw_crawl_prefixes", "sftp",
           "streaming"]
