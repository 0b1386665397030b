"""LF-tag assignments and LF-tag expressions that Lake Formation accepts: only values the LF-tag
defines. AddLFTagsToResource (a ResourceLfTags) and GrantPermissions with an LF-tag expression
(a Permissions' ``lfTagPolicy``) are refused at apply time when they name a value the LF-tag (an
LfTag: ``key``, ``values``, ``catalogId``) does not define.

AWS's wording (Lake Formation Developer Guide and API Reference):
- "Lake Formation Tag-Based Access Control Permissions Model" (TBAC-security): "All LF-tags must
  be predefined before they can be assigned to Data Catalog resources or granted to principals."
- "Creating LF-Tags" (TBAC-creating-tags): "All LF-Tags must be defined in Lake Formation before
  they can be used. A LF-Tag consists of a key and one or more possible values for the key."
  CreateLFTag's TagValues: "A list of possible values an attribute can take."
- "Lake Formation tag-based access control notes and restrictions" (TBAC-notes): "Tags keys and
  values are converted to all lower case when they are stored." Keys and values are therefore
  compared here without regard to case.
- AddLFTagsToResource: errors EntityNotFoundException ("A specified entity does not exist") and
  InvalidInputException ("The input provided was not valid"), and per pair the response's
  ``Failures`` ("A list of failures to tag the resource", LFTagError objects). GrantPermissions:
  the same two exceptions; "Updated error message" lists GrantPermissions among the operations
  whose resource-specific exceptions became the general EntityNotFound message.
AWS documents no per-value message text; the rule encodes the documented precondition.

Input shapes (terraform-provider-aws, internal/service/lakeformation/resource_lf_tags.go and
lf_tag.go): each ``lf_tag`` pair of a ResourceLfTags carries ``key``, one ``value`` and an optional
``catalog_id`` (sent as LFTagPair.CatalogId; unset, the request's CatalogId, by default the
account); an LfTag's ``catalog_id`` defaults to the provider's account (its id is
``<catalog>:<key>``). An expression is ``{key, values}`` under ``lf_tag_policy`` with an optional
``catalog_id`` ("by default, it is the account ID of the caller"). The Data Catalog, and so its
LF-tags, is regional: tags are matched in the region of the resource's provider.
"""
from __future__ import annotations

from typing import Any, Iterable, Optional

from pulumi_policy.proxy import UnknownValueError

from .._base import HIGH, MANDATORY, UNKNOWN, is_list, known_items, of_type, peek, stack_policy
from ._graph import LF_PERMISSIONS, SERVICE, _region, _stack_accounts

LF_TAG = "aws:lakeformation/lfTag:LfTag"
RESOURCE_LF_TAGS = "aws:lakeformation/resourceLfTags:ResourceLfTags"
# "Every value": AWS shows grants on an LF-tag itself with TagValues ["*"] (Developer Guide,
# "Managing LF-Tag permissions using the AWS CLI"); whether an expression accepts it is not
# documented, so it is never judged as a value (no refusal the rule cannot source).
ANY_VALUE = "*"


def _strings(value: Any) -> tuple[list[str], bool]:
    """The known strings of a list property, and whether every element is known."""
    if value is UNKNOWN:
        return [], False
    if value is None:
        return [], True
    if not is_list(value):
        return ([value], True) if isinstance(value, str) else ([], False)
    found: list[str] = []
    complete = True
    try:
        for i in range(len(value)):
            try:
                item = value[i]
            except UnknownValueError:
                complete = False
                continue
            if isinstance(item, str):
                found.append(item)
            else:
                complete = False
    except UnknownValueError:
        return [], False
    return found, complete


def _text(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


def _provider_account(resource) -> Optional[str]:
    accounts = _stack_accounts(resource)
    return next(iter(accounts)) if len(accounts) == 1 else None


def _catalog(resource, *candidates: Any) -> Any:
    """(catalog, region): the first catalog id set among ``candidates``, else the provider's account
    (None when the provider names none or several), in the provider's region (the Data Catalog, and
    its LF-tags, are regional); UNKNOWN when the first catalog id set is not known yet."""
    for candidate in candidates:
        if candidate is UNKNOWN:
            return UNKNOWN
        if _text(candidate):
            return candidate, _region(resource)
    return _provider_account(resource), _region(resource)


class _Tags:
    """The stack's LfTags by ((catalog, region), lower-case key): the tag and its values, or None
    when something about that key (its values, or some tag's catalog) is not known yet."""

    def __init__(self, resources: Iterable) -> None:
        self.by_key: dict[tuple[Any, str], Optional[tuple[Any, list[str]]]] = {}
        self.unplaced: set[str] = set()
        for tag in of_type(resources, LF_TAG):
            key = _text(peek(tag.props, "key"))
            if key is None:
                continue
            catalog = _catalog(tag, peek(tag.props, "catalogId"))
            if catalog is UNKNOWN:
                self.unplaced.add(key.lower())
                continue
            raw = peek(tag.props, "values")
            values, complete = _strings(raw)
            complete = complete and raw is not None
            slot = (catalog, key.lower())
            if not complete or (slot in self.by_key and self.by_key[slot] is None):
                self.by_key[slot] = None
                continue
            first, defined = self.by_key.get(slot) or (tag, [])
            self.by_key[slot] = (first, defined + values)

    def refused(self, catalog: Any, key: Any, values: list[str]) -> list[tuple[str, Any, list[str]]]:
        """(value, tag, allowed) for each of ``values`` the LF-tag of the stack for (catalog, key)
        does not define; nothing when the key has no LfTag in the stack or is not decided yet."""
        key = _text(key)
        if key is None or catalog is UNKNOWN or key.lower() in self.unplaced:
            return []
        found = self.by_key.get((catalog, key.lower()))
        if found is None:
            return []
        tag, allowed = found
        known = {v.lower() for v in allowed}
        return [(v, tag, allowed) for v in values if v != ANY_VALUE and v.lower() not in known]


def _where(catalog: tuple[Optional[str], Optional[str]]) -> str:
    account, region = catalog
    place = " in ".join(p for p in (f"catalog {account}" if account else None, region) if p)
    return f" ({place})" if place else ""


def _assignments(tags: _Tags, resources: Iterable):
    for tagging in of_type(resources, RESOURCE_LF_TAGS):
        pairs = peek(tagging.props, "lfTags")
        default = peek(tagging.props, "catalogId")
        for pair in known_items(pairs):
            catalog = _catalog(tagging, peek(pair, "catalogId"), default)
            key = peek(pair, "key")
            values, _ = _strings(peek(pair, "value"))
            for value, tag, allowed in tags.refused(catalog, key, values):
                yield (f"ResourceLfTags '{tagging.name}' assigns LF-tag '{key}'{_where(catalog)} the value "
                       f"'{value}', which LfTag '{tag.name}' does not define (allowed: {', '.join(allowed)}); "
                       f"Lake Formation refuses AddLFTagsToResource."), tagging.urn


def _expressions(tags: _Tags, resources: Iterable):
    for grant in of_type(resources, LF_PERMISSIONS):
        policy = peek(grant.props, "lfTagPolicy")
        if policy is None or policy is UNKNOWN:
            continue
        catalog = _catalog(grant, peek(policy, "catalogId"), peek(grant.props, "catalogId"))
        expressions = peek(policy, "expressions")
        for expression in known_items(expressions):
            key = peek(expression, "key")
            values, _ = _strings(peek(expression, "values"))
            for value, tag, allowed in tags.refused(catalog, key, values):
                yield (f"Lake Formation grant '{grant.name}' has an LF-tag expression on '{key}'{_where(catalog)} "
                       f"with the value '{value}', which LfTag '{tag.name}' does not define (allowed: "
                       f"{', '.join(allowed)}); Lake Formation refuses GrantPermissions."), grant.urn


def _lf_tag_values_exist(resources, cfg):
    tags = _Tags(resources)
    yield from _assignments(tags, resources)
    yield from _expressions(tags, resources)


POLICIES = [
    stack_policy(
        name="lakeformation-lf-tag-values-exist", service=SERVICE,
        description="LF-tag assignments (ResourceLfTags) and LF-tag expressions of grants (Permissions "
                    "lfTagPolicy) use only values the stack's LfTag for that key defines in the same catalog "
                    "(catalogId, else the provider's account) and region; compared without case, as Lake Formation "
                    "stores them in lower case. Lake Formation refuses others at apply time. A key with no LfTag "
                    "in the stack is not judged (it may exist in the account already); unknown (preview) keys, "
                    "values and catalogs are left out, and '*' in an expression is not judged.",
        applies_to=[RESOURCE_LF_TAGS, LF_PERMISSIONS], check=_lf_tag_values_exist, level=MANDATORY, severity=HIGH,
        reads=(LF_TAG,),
        remediation="Assign or grant only a value listed in the LfTag's values, or add the value to the LfTag."),
]
