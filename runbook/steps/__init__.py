"""One module per AWS service. Each exposes `plan(ctx, mode) -> list[Action]` that only reads."""

from typing import Literal

Mode = Literal["failover", "failback"]
