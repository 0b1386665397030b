"""Each function folder must run where it is shipped, with what that place provides.

- Lambda: the folder's own zip (siblings are top-level modules), the stdlib, the boto3/botocore the
  Lambda python runtime ships, and any layer the component attaches (ods_api: the DAX client).
- Glue: the job's scripts, the stdlib and the Glue runtime (boto3, awsglue, pyspark).
- The ods_api container image: the files its Dockerfile copies and what `pip install -r
  requirements.txt` installs there.

ods_api ships twice (Lambda zip and container image), so its imports are checked against each.
A third-party module one packaging lacks may only be imported lazily, in a path that packaging's
code never takes (UNREACHED says which path and why); the Lambda variant is also run end to end
with that module unimportable.
"""
import ast
import base64
import builtins
import json
import re
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import boto3
import pytest

from components.foundation.lambda_layers import DAX_CLIENT_PACKAGES
from conftest import FUNCTIONS_DIR, load_function

# What the Lambda python runtime ships beyond the stdlib.
LAMBDA_RUNTIME = frozenset({"boto3", "botocore"})
# What a Glue 4.0/5.0 job's Python has beyond the stdlib (the job imports awsglue/pyspark in main()).
GLUE_RUNTIME = LAMBDA_RUNTIME | {"awsglue", "pyspark"}
ODS_API_DIR = FUNCTIONS_DIR / "ods_api"


@lru_cache(maxsize=1)
def _installed_modules() -> dict[str, list[str]]:
    return metadata.packages_distributions()


def _distribution_modules(name: str, seen: set[str]) -> set[str]:
    """Top-level import names of an installed distribution and of everything it requires."""
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key in seen:
        return set()
    seen.add(key)
    dist = metadata.distribution(name)
    modules = {m for m, dists in _installed_modules().items()
               if any(re.sub(r"[-_.]+", "-", d).lower() == key for d in dists)}
    for requirement in dist.requires or []:
        if "extra ==" in requirement:
            continue
        required = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0)
        try:
            modules |= _distribution_modules(required, seen)
        except metadata.PackageNotFoundError:
            pass  # an environment-marker dependency this platform does not install
    return modules


def requirement_modules(path: Path) -> frozenset[str]:
    """What `pip install -r <path>` makes importable (as installed in this virtualenv)."""
    seen: set[str] = set()
    modules: set[str] = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            modules |= _distribution_modules(re.match(r"[A-Za-z0-9_.-]+", line).group(0), seen)
    return frozenset(modules)


def dockerfile_copied_modules(path: Path) -> frozenset[str]:
    """The Python modules a Dockerfile's COPY instructions put into the image."""
    copied = set()
    for line in path.read_text().splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(w.startswith("--from") for w in words):
            copied |= {Path(w).stem for w in words[1:-1] if w.endswith(".py")}
    return frozenset(copied)


def folder_modules(folder: str) -> frozenset[str]:
    return frozenset(p.stem for p in (FUNCTIONS_DIR / folder).glob("*.py"))


# folder -> packaging -> (entry module, the modules shipped, third-party modules provided there)
PACKAGINGS = {
    "record_processor": {"lambda": ("handler", folder_modules("record_processor"), LAMBDA_RUNTIME)},
    "ods_writer": {"lambda": ("handler", folder_modules("ods_writer"), LAMBDA_RUNTIME)},
    "arrival_handler": {"lambda": ("handler", folder_modules("arrival_handler"), LAMBDA_RUNTIME)},
    "batch_etl": {"glue": ("job", folder_modules("batch_etl"), GLUE_RUNTIME)},
    # Glue Data Quality's transforms ship with the Glue runtime (awsgluedq).
    "reportable": {"glue": ("job", folder_modules("reportable"), GLUE_RUNTIME | {"awsgluedq"})},
    "ods_api": {
        # components/operational_service/function.py: the folder's zip plus the DAX client layer.
        "lambda": ("lambda_handler", folder_modules("ods_api"), LAMBDA_RUNTIME | set(DAX_CLIENT_PACKAGES)),
        # functions/ods_api/Dockerfile: CMD python -m server.
        "container": ("server", dockerfile_copied_modules(ODS_API_DIR / "Dockerfile"),
                      requirement_modules(ODS_API_DIR / "requirements.txt")),
    },
}
CASES = [(folder, packaging) for folder, packagings in PACKAGINGS.items() for packaging in packagings]

# Lazy imports a packaging does not provide, and why its code never gets there.
UNREACHED = {
    ("ods_api", "lambda"): {
        "cryptography": "alb_auth verifies the ALB's signature only when ALB_ARN is set, and only the Fargate "
                        "tasks get ALB_ARN (the Lambda variant sits behind API Gateway)",
    },
}


def imports(path: Path) -> tuple[set[str], set[str]]:
    """(top-level names imported when the module loads, names imported only inside functions)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    lazy_nodes = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                  for n in ast.walk(f)}
    at_load: set[str] = set()
    lazy: set[str] = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module.split(".")[0]]
        (lazy if id(node) in lazy_nodes else at_load).update(names)
    return at_load - {"__future__"}, lazy


def reachable(folder: str, entry: str) -> tuple[set[str], set[str], set[str]]:
    """From `entry`: (sibling modules reached, third-party names imported at load, lazily)."""
    siblings = folder_modules(folder)
    seen: set[str] = set()
    todo = [entry]
    at_load: set[str] = set()
    lazy: set[str] = set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        now, later = imports(FUNCTIONS_DIR / folder / f"{module}.py")
        todo += sorted((now | later) & siblings)
        at_load |= now - siblings - set(sys.stdlib_module_names)
        lazy |= later - siblings - set(sys.stdlib_module_names)
    return seen, at_load, lazy - at_load


@pytest.mark.parametrize("folder, packaging", CASES, ids=[f"{f}-{p}" for f, p in CASES])
def test_code_runs_from_what_its_packaging_ships(folder, packaging):
    entry, shipped, provided = PACKAGINGS[folder][packaging]
    modules, at_load, lazy = reachable(folder, entry)
    assert modules <= shipped, f"{packaging} does not ship {sorted(modules - shipped)} (imported from {entry})"
    assert at_load <= provided, f"{packaging} lacks {sorted(at_load - provided)}, imported when {entry} loads"
    unreached = UNREACHED.get((folder, packaging), {})
    missing = lazy - provided
    assert missing <= set(unreached), f"{packaging} lacks {sorted(missing - set(unreached))} (imported lazily)"
    # Every exception is still needed: the module is still imported, lazily, and still not provided.
    assert set(unreached) <= missing, f"stale UNREACHED entries: {sorted(set(unreached) - missing)}"


def test_every_function_folder_has_a_packaging():
    assert set(PACKAGINGS) == {p.name for p in FUNCTIONS_DIR.iterdir() if p.is_dir() and any(p.glob("*.py"))}


def test_the_container_installs_what_the_alb_signature_check_needs():
    provided = PACKAGINGS["ods_api"]["container"][2]
    assert {"cryptography", "amazondax", "boto3", "botocore"} <= provided
    assert "cryptography" not in PACKAGINGS["ods_api"]["lambda"][2]


def test_lambda_variant_serves_without_cryptography(aws, fresh_env, monkeypatch):
    """The Lambda zip has no cryptography: with it unimportable, a write and a read still work."""
    fresh_env.delenv("ALB_ARN", raising=False)
    blocked: list[str] = []
    real_import = builtins.__import__

    def import_without_cryptography(name, globals=None, locals=None, fromlist=(), level=0):
        # Only the function's own modules are refused it (moto, run in-process here, needs it).
        importer = Path((globals or {}).get("__file__") or "")
        if name.split(".")[0] == "cryptography" and importer.parent == ODS_API_DIR:
            blocked.append(f"{importer.name}: {name}")
            raise ModuleNotFoundError(f"No module named '{name}' (not in the Lambda zip)", name=name)
        return real_import(name, globals, locals, fromlist, level)

    monkeypatch.setattr(builtins, "__import__", import_without_cryptography)
    boto3.client("dynamodb").create_table(
        TableName="orders-ods", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "orderId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "orderId", "AttributeType": "S"}])
    boto3.client("events").create_event_bus(Name="orders-bus")
    for name, value in {"TABLE_NAME": "orders-ods", "PARTITION_KEY": "orderId", "EVENT_BUS_NAME": "orders-bus",
                        "EVENT_SOURCE": "retail.orders"}.items():
        fresh_env.setenv(name, value)
    lam = load_function("ods_api", "lambda_handler")

    def call(method, path, body=None):
        return lam.handler({
            "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
            "headers": {"content-type": "application/json"},
            "requestContext": {"http": {"method": method, "path": path}, "stage": "$default"},
            "body": base64.b64encode(body).decode() if body else None, "isBase64Encoded": bool(body)}, None)

    assert call("PUT", "/items/o1", b'{"qty": 2}')["statusCode"] == 200
    got = call("GET", "/items/o1")
    assert got["statusCode"] == 200 and json.loads(got["body"])["item"] == {"orderId": "o1", "qty": 2}
    assert blocked == []


@pytest.mark.parametrize("folder,entry", [("record_processor", "handler"), ("ods_writer", "handler"),
                                          ("arrival_handler", "handler"), ("ods_api", "lambda_handler"),
                                          ("ods_api", "server"), ("batch_etl", "job"),
                                          ("reportable", "job")])
def test_entry_points_exist(folder, entry):
    tree = ast.parse((FUNCTIONS_DIR / folder / f"{entry}.py").read_text())
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert {"handler"} <= names or {"main"} <= names


CONTRACT = {
    "record_processor": {"REQUIRED_FIELDS", "TIMESTAMP_FIELD"},
    "ods_writer": {"TABLE_NAME", "PARTITION_KEY", "SORT_KEY", "DLQ_URL"},
    "arrival_handler": {"ALLOWED_SUFFIXES", "MAX_OBJECT_BYTES", "QUARANTINE_PREFIX", "ON_VALID",
                        "CRAWLER_NAME", "ETL_JOB_NAME"},
    "ods_api": {"TABLE_NAME", "PARTITION_KEY", "PARTITION_KEY_TYPE", "SORT_KEY", "SORT_KEY_TYPE",
                "EVENT_BUS_NAME", "EVENT_SOURCE", "DAX_ENDPOINT", "PORT", "ALB_ARN", "DLQ_URL"},
}


def env_reads(path):
    """String constants passed to os.environ.get/[] or iterated by a comprehension reading os.environ."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        target = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
                and ast.unparse(node.func.value) == "os.environ" and node.args:
            target = node.args[0]
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            target = node.slice
        if isinstance(target, ast.Constant):
            found.add(target.value)
        if isinstance(node, (ast.DictComp, ast.ListComp, ast.SetComp, ast.GeneratorExp)) \
                and "os.environ" in ast.unparse(node):
            for gen in node.generators:
                if isinstance(gen.iter, ast.Tuple):
                    found.update(e.value for e in gen.iter.elts if isinstance(e, ast.Constant))
    return {name for name in found if not name.startswith("AWS_")}


@pytest.mark.parametrize("folder", sorted(CONTRACT))
def test_env_contract_is_what_the_code_reads_and_is_documented(folder):
    read = set().union(*(env_reads(p) for p in (FUNCTIONS_DIR / folder).glob("*.py")))
    assert read <= CONTRACT[folder], f"undeclared env vars: {sorted(read - CONTRACT[folder])}"
    readme = (FUNCTIONS_DIR / "README.md").read_text()
    section = readme.split(f"## {folder}", 1)[1].split("\n## ", 1)[0]
    for name in CONTRACT[folder]:
        assert f"| `{name}` |" in section, f"{name} missing from the {folder} table in functions/README.md"
