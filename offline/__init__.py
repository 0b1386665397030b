"""The program without the CLI or AWS: run a stack offline, preview it, price it, draw it.

- `runner`: runs `__main__.py` for a stack under the mocks (`run_stack`, `shipped_run`)
- `engine`: the one module that touches the Pulumi SDK's internals (pinned by tests/test_offline_engine.py)
- `mocks/`: the recording mocks that answer like AWS (one builder module per AWS service family)
- `preview`: `python -m offline.preview <stack>` (tree, counts, outputs, --json, --policy, --diagram, --cost)
- `cost/`: `python -m offline.cost <stack>`, the monthly estimate from `pricing/<region>.json`
- `diagram/`: the data-flow diagram derived from the recorded graph
"""
