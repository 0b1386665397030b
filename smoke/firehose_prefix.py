"""Firehose's S3 prefix expressions ("Custom prefixes for Amazon S3 objects",
https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html), expanded as Firehose does.

`!{timestamp:<Java DateTimeFormatter pattern>}` takes the record's arrival time (UTC),
`!{partitionKeyFromLambda:<key>}` the transformation's partition keys (dynamic partitioning),
`!{firehose:error-output-type}` the kind of failure (error prefixes only), and
`!{firehose:random-string}` a random string: the expansion stops before it when no generator is
given, which still names the prefix to list.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Callable, Mapping, Optional

_EXPRESSION = re.compile(r"!\{([A-Za-z]+):([^}]*)\}")
_JAVA = [("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S")]


def _timestamp(pattern: str, when: datetime) -> str:
    out = pattern
    for java, strf in _JAVA:
        out = out.replace(java, when.strftime(strf))
    return out


def expand(template: str, *, when: datetime, keys: Optional[Mapping[str, str]] = None,
           error_type: Optional[str] = None, random: Optional[Callable[[], str]] = None) -> str:
    out, position = [], 0
    for match in _EXPRESSION.finditer(template):
        out.append(template[position:match.start()])
        namespace, name = match.group(1), match.group(2)
        if namespace == "timestamp":
            out.append(_timestamp(name, when))
        elif namespace == "partitionKeyFromLambda":
            if keys is None or name not in keys:
                raise KeyError(f"prefix {template!r} needs partition key {name!r}")
            out.append(keys[name])
        elif namespace == "firehose" and name == "error-output-type":
            if error_type is None:
                raise KeyError(f"prefix {template!r} is an error prefix: give the error type")
            out.append(error_type)
        elif namespace == "firehose" and name == "random-string":
            if random is None:
                return "".join(out)
            out.append(random())
        else:
            raise KeyError(f"prefix {template!r}: {match.group(0)} is not modelled")
        position = match.end()
    out.append(template[position:])
    return "".join(out)
