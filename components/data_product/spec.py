"""What a data product is made of, as the components take it: small frozen dataclasses.

The stack settings (`stackconfig`) are validated once at the edge and turned into these by
`stackconfig.args`; components never see the settings model. A spec also travels in the
product's contract (`to_dict` / `from_dict`), so the DR pilot light builds the same product
from the primary's export.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Optional

from components.foundation.plain import from_plain

KeyType = Literal["S", "N"]
Classification = Literal["public", "internal", "confidential", "restricted"]


@dataclass(frozen=True, kw_only=True)
class BatchSpec:
    """Glue ETL raw -> curated. schedule: a Glue cron, default None (on arrival only);
    on_arrival: start the job when a file arrives, default True; glue_version default "5.0";
    worker_type default "G.1X"; workers default 2; timeout_minutes default 60; required_fields:
    records without them are rejected, default none."""

    schedule: Optional[str] = None
    on_arrival: bool = True
    glue_version: str = "5.0"
    worker_type: str = "G.1X"
    workers: int = 2
    timeout_minutes: int = 60
    required_fields: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class StreamingSpec:
    """Kinesis -> Firehose -> raw. shards: provisioned shard count, default None (on-demand);
    retention_hours default 168; required_fields default none; timestamp_field: partitions
    records by event time, default None (arrival time); buffer_seconds default 300."""

    shards: Optional[int] = None
    retention_hours: int = 168
    required_fields: tuple[str, ...] = ()
    timestamp_field: Optional[str] = None
    buffer_seconds: int = 300


@dataclass(frozen=True, kw_only=True)
class SftpUserSpec:
    name: str
    ssh_public_key: str


@dataclass(frozen=True, kw_only=True)
class SftpSpec:
    users: tuple[SftpUserSpec, ...]

    def __post_init__(self) -> None:
        if not self.users:
            raise ValueError("sftp needs at least one user")


@dataclass(frozen=True, kw_only=True)
class EventsSpec:
    """Event ingestion into the ODS: the sources routed to the writer, archive_retention_days
    default 30."""

    sources: tuple[str, ...]
    archive_retention_days: int = 30


@dataclass(frozen=True, kw_only=True)
class IngestionSpec:
    """Each mode is built only when given (None: skipped)."""

    batch: Optional[BatchSpec] = None
    streaming: Optional[StreamingSpec] = None
    sftp: Optional[SftpSpec] = None
    events: Optional[EventsSpec] = None


@dataclass(frozen=True, kw_only=True)
class DaxSpec:
    """DAX in front of the table: enabled default True (switching it off is explicit), node_type
    default dax.r5.large, nodes default 3 (one per AZ)."""

    enabled: bool = True
    node_type: str = "dax.r5.large"
    nodes: int = 3


@dataclass(frozen=True, kw_only=True)
class OperationalStoreSpec:
    partition_key: str
    partition_key_type: KeyType = "S"
    sort_key: Optional[str] = None
    sort_key_type: KeyType = "S"
    dax: DaxSpec = field(default_factory=DaxSpec)


@dataclass(frozen=True, kw_only=True)
class LifecycleSpec:
    """Zone lifecycle: noncurrent versions expire after 90 days; current objects move to
    STANDARD_IA after 30 days and to Glacier after 180 (defaults)."""

    noncurrent_version_expiration_days: int = 90
    transition_to_ia_days: int = 30
    transition_to_glacier_days: int = 180


CLASSIFICATION_ORDER: tuple[Classification, ...] = ("public", "internal", "confidential", "restricted")


def levels_up_to(clearance: Classification) -> tuple[Classification, ...]:
    """The classifications a reader cleared for `clearance` may see (it and every lower one)."""
    return CLASSIFICATION_ORDER[:CLASSIFICATION_ORDER.index(clearance) + 1]


@dataclass(frozen=True, kw_only=True)
class ColumnSpec:
    """One column of a dataset. type: a Glue/Athena type (string, boolean, int, bigint, float,
    double, date, timestamp, decimal(p,s)); nullable default True; classification default None
    (the dataset's); source: the curated field the value comes from, default the column name."""

    name: str
    type: str
    nullable: bool = True
    description: str = ""
    classification: Optional[Classification] = None
    source: Optional[str] = None


@dataclass(frozen=True, kw_only=True)
class DatasetSpec:
    """A reportable dataset: an Iceberg table in the product database, built from curated data by
    the reportable job. version: semantic MAJOR.MINOR.PATCH (a breaking change needs a new
    major); partitioning: identity partitions on these columns; classification default None (the
    product's); owner default "" (the product's); freshness_hours: the publishing SLO, default 24;
    quality: a Glue Data Quality ruleset (DQDL), default None; min_quality_score default 1.0."""

    name: str
    version: str
    columns: tuple[ColumnSpec, ...]
    partitioning: tuple[str, ...] = ()
    description: str = ""
    owner: str = ""
    classification: Optional[Classification] = None
    freshness_hours: int = 24
    quality: Optional[str] = None
    min_quality_score: float = 1.0

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    def column_classification(self, column: ColumnSpec, product: Classification) -> Classification:
        return column.classification or self.classification or product


@dataclass(frozen=True, kw_only=True)
class ConsumerGrantSpec:
    """What one consumer account may read: the datasets (by name) and the classifications up to
    `clearance` (columns classified higher stay hidden); expires: last valid day (YYYY-MM-DD,
    UTC) or None. Grants past their expiry never reach a spec (`stackconfig.args`)."""

    account: str
    clearance: Classification
    datasets: tuple[str, ...]
    expires: Optional[str] = None


@dataclass(frozen=True, kw_only=True)
class DataProductSpec:
    """One data product: who owns it, how data comes in, its ODS, who may read it.
    consumers: account ids granted read (default none); crawler_schedule default daily 02:00."""

    name: str
    owner: str
    classification: Classification
    ingestion: IngestionSpec
    operational_store: OperationalStoreSpec
    description: str = ""
    consumers: tuple[str, ...] = ()
    crawler_schedule: str = "cron(0 2 * * ? *)"
    lifecycle: LifecycleSpec = field(default_factory=LifecycleSpec)
    datasets: tuple[DatasetSpec, ...] = ()
    # One per account in `consumers`, same order.
    grants: tuple[ConsumerGrantSpec, ...] = ()

    def __post_init__(self) -> None:
        if self.grants and tuple(g.account for g in self.grants) != tuple(self.consumers):
            raise ValueError("grants must name exactly the consumer accounts, in order")

    def dataset(self, name: str) -> DatasetSpec:
        return next(d for d in self.datasets if d.name == name)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (the contract carries them)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "DataProductSpec":
        return from_plain(cls, data, _NESTED)


_NESTED: dict[tuple[type, str], type] = {}
_NESTED.update({
    (DataProductSpec, "ingestion"): IngestionSpec,
    (DataProductSpec, "operational_store"): OperationalStoreSpec,
    (DataProductSpec, "lifecycle"): LifecycleSpec,
    (IngestionSpec, "batch"): BatchSpec,
    (IngestionSpec, "streaming"): StreamingSpec,
    (IngestionSpec, "sftp"): SftpSpec,
    (IngestionSpec, "events"): EventsSpec,
    (SftpSpec, "users"): SftpUserSpec,
    (OperationalStoreSpec, "dax"): DaxSpec,
    (DataProductSpec, "datasets"): DatasetSpec,
    (DataProductSpec, "grants"): ConsumerGrantSpec,
    (DatasetSpec, "columns"): ColumnSpec,
})
