"""Typed stack settings: the user's interface, validated once at the edge.

Every field has a camelCase YAML key (what users write in Pulumi.<stack>.yaml; the loader accepts
only that spelling) and a snake_case attribute (what components read). Unknown keys are errors, so
a typo never silently falls back to a default. Checks that span several keys of the stack live in
`stackconfig.checks` (names the platform derives: `stackconfig.physical_names`); AWS limits and
formats in `stackconfig.limits`.

One module per part of the stack file; everything is importable from here:
- `base`: the strict base model, `FieldProblem`, account-id / name / certificate rules
- `account`: `account:` and `network:`
- `ingestion`: `dataProducts[].ingestion` (batch, streaming, sftp, events)
- `dataset`: `dataProducts[].datasets` (versioned schemas, quality) and `dataProducts[].consumers`
- `data_product`: `dataProducts[]` (operational store + DAX, lifecycle, datasets, consumers)
- `service_edge`: a Fargate service's `public:` login and WAF, and its `allowedCidrs`
- `service`: `services[]` (Fargate task size and counts, Lambda trigger and authorizer)
- `stack`: `StackSettings` and the stack-level `consumes:`, `dr:`, `alarms:`, `budget:`
"""

from stackconfig.model.base import ACCOUNT_RE, ACM_ARN, NAME_RE, FieldProblem, Model
from stackconfig.model.account import LOG_RETENTION_DAYS, AccountSettings, NetworkSettings
from stackconfig.model.ingestion import (
    FIELD_NAME_RE, BatchIngestion, EventsIngestion, Ingestion, SftpIngestion, SftpUser, StreamingIngestion,
)
from stackconfig.model.dataset import ColumnSettings, ConsumerGrantSettings, DatasetSettings
from stackconfig.model.data_product import DataProductSettings, DaxSettings, LifecycleSettings, OperationalStore
from stackconfig.model.service_edge import (
    COGNITO_POOL_ARN, HTTPS_URL, PRIVATE_NETWORKS, SECRET_CONFIG_KEY, SESSION_TIMEOUT_SECONDS, CognitoLogin,
    EdgeLogin, OidcLogin, PublicEdge,
)
from stackconfig.model.service import CPU_VALUES, FARGATE_SIZES, JwtAuthorizer, ServiceSettings
from stackconfig.model.stack import (
    EMAIL_RE, HTTPS_RE, AlarmSettings, BudgetSettings, ConsumedProduct, DrSettings, StackSettings,
)

__all__ = [
    "ACCOUNT_RE", "ACM_ARN", "NAME_RE", "FieldProblem", "Model",
    "LOG_RETENTION_DAYS", "AccountSettings", "NetworkSettings",
    "FIELD_NAME_RE", "BatchIngestion", "EventsIngestion", "Ingestion", "SftpIngestion", "SftpUser",
    "StreamingIngestion",
    "ColumnSettings", "ConsumerGrantSettings", "DatasetSettings",
    "DataProductSettings", "DaxSettings", "LifecycleSettings", "OperationalStore",
    "COGNITO_POOL_ARN", "HTTPS_URL", "PRIVATE_NETWORKS", "SECRET_CONFIG_KEY", "SESSION_TIMEOUT_SECONDS",
    "CognitoLogin", "EdgeLogin", "OidcLogin", "PublicEdge",
    "CPU_VALUES", "FARGATE_SIZES", "JwtAuthorizer", "ServiceSettings",
    "EMAIL_RE", "HTTPS_RE", "AlarmSettings", "BudgetSettings", "ConsumedProduct", "DrSettings", "StackSettings",
]
