"""The recording resource monitor: keeps what the engine would know of every registration.

The plain mocks API passes on neither parent, provider, protect/retainOnDelete nor dependencies;
this monitor records them for each resource (as `Record`s), and refuses a second registration of
a URN as the engine does. The SDK's mock monitor is reached only through offline/engine.py.
"""

from __future__ import annotations

import threading

from offline import engine
from offline.mocks.platform import PlatformMocks
from offline.mocks.record import Record


class DuplicateUrnError(Exception):
    """Two registrations with one URN: the engine refuses the second (pulumi pkg/diag/errors.go,
    GetDuplicateResourceURNError, code 2001); the stock MockMonitor would silently overwrite."""

    def __init__(self, urn: str):
        super().__init__(f"Duplicate resource URN '{urn}'; try giving it a unique name")
        self.urn = urn


class RecordingMonitor(engine.MonitorBase):
    """A mock monitor that keeps, per resource, a `Record` with its parent, provider,
    protect/retainOnDelete and dependencies. Like the engine, it refuses a second registration of
    a URN it has already seen."""

    def __init__(self, mocks: PlatformMocks):
        super().__init__(mocks)
        self.records: list[Record] = []
        self.by_urn: dict[str, Record] = {}
        self._claimed: set[str] = set()
        self._lock = threading.Lock()

    def _claim(self, parent: str, type_: str, name: str) -> None:
        # Registrations run on worker threads: claim the URN before the (slow) mock call, so a
        # twin registered concurrently is refused too.
        urn = self.urn_for(parent, type_, name)
        with self._lock:
            if urn in self._claimed:
                raise DuplicateUrnError(urn)
            self._claimed.add(urn)

    def _keep(self, record: Record) -> None:
        self.records.append(record)
        self.by_urn[record.urn] = record

    def RegisterResource(self, request):
        self._claim(request.parent, request.type, request.name)
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            self._keep(Record(urn=response.urn, type=request.type, name=request.name, custom=False, parent="",
                              provider="", providers={}, protect=False, retain_on_delete=False, dependencies=[],
                              inputs={}))
            return response
        resource_id, state = self.registration(response.urn)
        self._keep(Record(
            urn=response.urn, type=request.type, name=request.name, custom=bool(request.custom),
            parent=request.parent, provider=request.provider, providers=dict(request.providers),
            protect=bool(request.protect), retain_on_delete=bool(request.retainOnDelete),
            dependencies=list(request.dependencies), inputs=engine.decode_properties(request.object),
            id=resource_id, outputs=state, remote=bool(request.remote),
            ignore_changes=list(request.ignoreChanges),
            property_dependencies={key: list(value.urns) for key, value in request.propertyDependencies.items()},
        ))
        return response

    def ReadResource(self, request):
        self._claim(request.parent, request.type, request.name)
        response = super().ReadResource(request)
        resource_id, state = self.registration(response.urn)
        self._keep(Record(urn=response.urn, type=request.type, name=request.name, custom=True, parent=request.parent,
                          provider=request.provider, providers={}, protect=False, retain_on_delete=False,
                          dependencies=list(request.dependencies), inputs={}, id=resource_id, outputs=state))
        return response

    def RegisterResourceOutputs(self, request):
        record = self.by_urn.get(request.urn)
        if record is not None and not record.custom:
            record.outputs = engine.decode_properties(request.outputs)
        return super().RegisterResourceOutputs(request)
