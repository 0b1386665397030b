"""Names the platform will build from the stack's settings, checked against AWS's length and
charset limits before anything is declared (the builders are `components.foundation.naming`)."""

from __future__ import annotations

from components.foundation import naming
from components.foundation.regions import short_code
from stackconfig.model import DataProductSettings, ServiceSettings, StackSettings


def check_physical_names(settings: StackSettings) -> list[tuple[str, str]]:
    """(key path, message) for every name the platform would build that breaks an AWS limit."""
    regions = [settings.region] + ([settings.dr_region] if settings.dr_region else [])
    problems: list[tuple[str, str]] = []
    for index, product in enumerate(settings.data_products):
        problems += _data_product_names(settings, regions, index, product)
    for index, service in enumerate(settings.services):
        problems += _service_names(settings, regions, index, service)
    return problems


def _data_product_names(settings: StackSettings, regions: list[str], index: int,
                        product: DataProductSettings) -> list[tuple[str, str]]:
    unit, environment, account = settings.business_unit, settings.environment, settings.account.id
    problems: list[tuple[str, str]] = []
    try:
        for zone in (*naming.ZONES, "logs"):
            for region in regions:
                naming.bucket_name(unit, environment, product.name, zone, account, short_code(region))
        naming.table_name(unit, environment, product.name)
        naming.glue_database_name(unit, environment, product.name)
        naming.role_name(unit, environment, product.name, "lakeformation")
        naming.prefixed("firehose", unit, environment, product.name, "raw")
        naming.prefixed("lambda", unit, environment, product.name, "record-processor")
    except naming.NameLimitError as exc:
        problems.append((f"dataProducts[{index}].name", f"{exc}: shorten the data product name or businessUnit"))
    if product.ingestion.sftp is not None:
        for user_index, user in enumerate(product.ingestion.sftp.users):
            try:
                naming.role_name(unit, environment, product.name, "sftp", user.name)
            except naming.NameLimitError as exc:
                problems.append((f"dataProducts[{index}].ingestion.sftp.users[{user_index}].name",
                                 f"{exc}: shorten the SFTP user name"))
    return problems


def _service_names(settings: StackSettings, regions: list[str], index: int,
                   service: ServiceSettings) -> list[tuple[str, str]]:
    unit, environment, account = settings.business_unit, settings.environment, settings.account.id
    try:
        naming.prefixed("lambda", unit, environment, service.name)
        # DR stacks live in the same account and IAM is global: their roles carry "-dr".
        naming.role_name(unit, environment, service.name, "task-exec", "dr")
        for region in regions:
            naming.physical_name("s3", unit, environment, service.name, "alb-logs", account, short_code(region))
    except naming.NameLimitError as exc:
        return [(f"services[{index}].name", f"{exc}: shorten the service name or businessUnit")]
    return []
