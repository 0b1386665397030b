"""How data reaches a data product (`dataProducts[].ingestion`): batch (Glue ETL), streaming
(Kinesis -> Firehose), SFTP (Transfer Family) and events (EventBridge)."""

from __future__ import annotations

import re
from typing import Literal, Optional

from pydantic import Field, field_validator, model_validator

from stackconfig import limits
from stackconfig.model.base import FieldProblem, Model, no_duplicates
from stackconfig.sshkeys import check_public_key

FIELD_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,254}")


def glue_schedule(v: Optional[str]) -> Optional[str]:
    # Both schedules are Glue's (ETL trigger, crawler), and Glue takes six-field cron only.
    if v is not None:
        limits.check_glue_schedule(v)
    return v


def _field_names(v: list[str]) -> list[str]:
    for i, name in enumerate(v):
        if not FIELD_NAME_RE.fullmatch(name):
            raise FieldProblem(f"[{i}]", f"field name '{name[:40]}' must be 1-255 characters of letters, digits, "
                                         "_ . - (no commas or spaces), starting with a letter or _")
    no_duplicates(v, "field")
    return v


class BatchIngestion(Model):
    """Glue ETL job raw -> curated (Parquet, partitioned by date)."""
    schedule: Optional[str] = None
    on_arrival: bool = True
    glue_version: Literal["4.0", "5.0"] = "5.0"
    worker_type: Literal["G.1X", "G.2X", "G.4X", "G.8X"] = "G.1X"
    workers: int = Field(default=2, ge=2, le=299)
    timeout_minutes: int = Field(default=60, ge=1, le=2880)
    required_fields: list[str] = []

    _s = field_validator("schedule")(lambda cls, v: glue_schedule(v))
    _f = field_validator("required_fields")(lambda cls, v: _field_names(v))

    @model_validator(mode="after")
    def _trigger(self) -> "BatchIngestion":
        if self.schedule is None and not self.on_arrival:
            raise ValueError("batch ingestion needs a schedule or onArrival: true")
        return self


class StreamingIngestion(Model):
    """Kinesis Data Stream -> Firehose -> raw zone. shards omitted = on-demand."""
    shards: Optional[int] = Field(default=None, ge=1, le=500)
    retention_hours: int = Field(default=168, ge=168, le=8760)
    required_fields: list[str] = []
    timestamp_field: Optional[str] = Field(default=None, pattern=FIELD_NAME_RE.pattern)
    buffer_seconds: int = Field(default=300, ge=0, le=900)

    _f = field_validator("required_fields")(lambda cls, v: _field_names(v))

    @model_validator(mode="after")
    def _environment_size(self) -> "StreamingIngestion":
        # The record processor Lambda gets both as environment variables (4 KB in all).
        size = len("REQUIRED_FIELDS") + len(",".join(self.required_fields))
        size += len("TIMESTAMP_FIELD") + len(self.timestamp_field or "")
        budget = limits.LAMBDA_ENV_BYTES - limits.LAMBDA_ENV_RESERVED
        if size > budget:
            raise FieldProblem("requiredFields", f"requiredFields and timestampField take {size} bytes of the record "
                               f"processor's Lambda environment; at most {budget} fit (Lambda allows "
                               f"{limits.LAMBDA_ENV_BYTES} in all, the platform keeps {limits.LAMBDA_ENV_RESERVED})")
        return self


class SftpUser(Model):
    name: str = Field(pattern=r"^[a-z][a-z0-9_.@-]{2,99}$")
    ssh_public_key: str

    @field_validator("ssh_public_key", mode="before")
    @classmethod
    def _key(cls, v: object) -> str:
        return check_public_key(v)  # type: ignore[arg-type]


class SftpIngestion(Model):
    """AWS Transfer Family SFTP server in the VPC; users confined to their raw-zone home."""
    users: list[SftpUser] = Field(min_length=1)

    @field_validator("users")
    @classmethod
    def _unique(cls, v: list[SftpUser]) -> list[SftpUser]:
        no_duplicates([user.name for user in v], "SFTP user", "[{i}].name")
        return v


class EventsIngestion(Model):
    """EventBridge bus per data product; sources are the event `source` values routed to the ODS."""
    sources: list[str] = Field(min_length=1)
    archive_retention_days: int = Field(default=30, ge=0, le=3650)

    @field_validator("sources")
    @classmethod
    def _sources(cls, v: list[str]) -> list[str]:
        for i, source in enumerate(v):
            if not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9._-]{0,255}", source) or source.startswith("aws."):
                raise FieldProblem(f"[{i}]", f"event source '{source[:60]}' must be like 'retail.orders' (letters, digits, "
                                             ". _ -, at most 256) and not start with 'aws.'")
        no_duplicates(v, "event source")
        return v


class Ingestion(Model):
    """The four ingestion modes; omit a mode to leave it out. Unknown modes are rejected."""
    batch: Optional[BatchIngestion] = None
    streaming: Optional[StreamingIngestion] = None
    sftp: Optional[SftpIngestion] = None
    events: Optional[EventsIngestion] = None

    @model_validator(mode="after")
    def _at_least_one(self) -> "Ingestion":
        if not any((self.batch, self.streaming, self.sftp, self.events)):
            raise ValueError("declare at least one of batch, streaming, sftp, events")
        return self
