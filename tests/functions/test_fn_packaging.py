"""Each function folder must run from its own zip: stdlib + boto3 only, siblings as top-level."""
import ast
import sys

import pytest

from conftest import FUNCTIONS_DIR

ALLOWED_THIRD_PARTY = {"boto3", "botocore"}
# imported lazily inside functions, only where that runtime provides them
RUNTIME_PROVIDED = {"batch_etl": {"awsglue", "pyspark"}, "ods_api": {"amazondax"}}
FOLDERS = ["record_processor", "ods_writer", "arrival_handler", "batch_etl", "ods_api"]


def top_level_imports(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


@pytest.mark.parametrize("folder", FOLDERS)
def test_function_folder_only_needs_stdlib_boto3_and_siblings(folder):
    directory = FUNCTIONS_DIR / folder
    siblings = {p.stem for p in directory.glob("*.py")}
    allowed = set(sys.stdlib_module_names) | ALLOWED_THIRD_PARTY | siblings | RUNTIME_PROVIDED.get(folder, set())
    for path in directory.glob("*.py"):
        bad = set(top_level_imports(path)) - allowed - {"__future__"}
        assert not bad, f"{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("folder,entry", [("record_processor", "handler"), ("ods_writer", "handler"),
                                          ("arrival_handler", "handler"), ("ods_api", "lambda_handler"),
                                          ("ods_api", "server"), ("batch_etl", "job")])
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
                "EVENT_BUS_NAME", "EVENT_SOURCE", "DAX_ENDPOINT", "PORT"},
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
