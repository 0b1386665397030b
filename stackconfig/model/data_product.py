"""One data product the domain owns (`dataProducts[]`): its ingestion (`stackconfig.model.
ingestion`), operational store (DynamoDB + DAX), storage lifecycle and consumer accounts."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, field_validator, model_validator

from stackconfig import limits
from stackconfig.model.base import NAME_RE, FieldProblem, Model, no_duplicates
from stackconfig.model.dataset import ConsumerGrantSettings, DatasetSettings, consumer_entries
from stackconfig.model.ingestion import Ingestion, glue_schedule


class DaxSettings(Model):
    """DAX in front of the ODS. On unless `enabled: false` is written explicitly."""
    enabled: bool = True
    node_type: str = "dax.r5.large"
    nodes: int = Field(default=3, ge=limits.DAX_MIN_NODES, le=limits.DAX_MAX_NODES)

    @field_validator("node_type")
    @classmethod
    def _node_type(cls, v: str) -> str:
        if v not in limits.DAX_NODE_TYPES:
            raise ValueError(f"'{v[:40]}' is not a DAX node type; allowed: {', '.join(limits.DAX_NODE_TYPES)}")
        return v


class OperationalStore(Model):
    """DynamoDB table (+ DAX). On-demand billing, PITR, CMK, deletion protection, streams."""
    partition_key: str = Field(pattern=r"^[a-zA-Z0-9_.-]{1,255}$")
    partition_key_type: Literal["S", "N"] = "S"
    sort_key: Optional[str] = Field(default=None, pattern=r"^[a-zA-Z0-9_.-]{1,255}$")
    sort_key_type: Literal["S", "N"] = "S"
    dax: DaxSettings = DaxSettings()

    @field_validator("partition_key_type", "sort_key_type", mode="before")
    @classmethod
    def _key_type(cls, v: object) -> object:
        # functions/ods_api refuses to start with any other key type, and the ODS writer stores
        # JSON events, which have no binary type.
        if v not in ("S", "N"):
            raise ValueError(f"must be S (string) or N (number), got {v!r}: the ODS API and writer read keys "
                             "from JSON, which has no binary (B) type")
        return v

    @model_validator(mode="after")
    def _keys(self) -> "OperationalStore":
        if self.sort_key is not None and self.sort_key == self.partition_key:
            raise FieldProblem("sortKey", "sortKey must differ from partitionKey")
        return self


class LifecycleSettings(Model):
    noncurrent_version_expiration_days: int = Field(default=90, ge=1)
    transition_to_ia_days: int = Field(default=30, ge=30)
    transition_to_glacier_days: int = Field(default=180, ge=90)

    @model_validator(mode="after")
    def _order(self) -> "LifecycleSettings":
        if self.transition_to_glacier_days <= self.transition_to_ia_days:
            raise FieldProblem("transitionToGlacierDays", "transitionToGlacierDays must be after transitionToIaDays "
                               f"({self.transition_to_ia_days})")
        return self


class DataProductSettings(Model):
    """One data product owned by the domain."""
    name: str = Field(pattern=NAME_RE, min_length=2, max_length=24)
    description: str = ""
    owner: str = Field(min_length=1)
    classification: Literal["public", "internal", "confidential", "restricted"]
    ingestion: Ingestion
    operational_store: OperationalStore
    datasets: list[DatasetSettings] = []
    consumers: list[ConsumerGrantSettings] = []
    crawler_schedule: str = "cron(0 2 * * ? *)"
    lifecycle: LifecycleSettings = LifecycleSettings()

    _cs = field_validator("crawler_schedule")(lambda cls, v: glue_schedule(v))
    _consumer_entries = field_validator("consumers", mode="before")(lambda cls, v: consumer_entries(v))

    @model_validator(mode="after")
    def _grants(self) -> "DataProductSettings":
        no_duplicates([d.name for d in self.datasets], "dataset", "datasets[{i}].name")
        no_duplicates([c.account for c in self.consumers], "consumer account", "consumers[{i}].account")
        names = [d.name for d in self.datasets]
        if names and self.ingestion.batch is None:
            raise FieldProblem("datasets", f"{self.name} has no ingestion.batch: the reportable job builds datasets "
                                           "from the batch ETL's curated output; add batch ingestion")
        for i, grant in enumerate(self.consumers):
            if not names:
                raise FieldProblem(f"consumers[{i}]", f"{self.name} declares no datasets; consumers are granted "
                                                      "datasets, declare them under datasets")
            for j, name in enumerate(grant.datasets):
                if name not in names:
                    raise FieldProblem(f"consumers[{i}].datasets[{j}]", f"'{name}' is not a dataset of {self.name} "
                                                                         f"({', '.join(names)})")
        return self
