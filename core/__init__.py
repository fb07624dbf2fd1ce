"""What every app uses, and nothing about the business: the lowest layer.

One module per topic, each written once for the whole project:

- `lifecycle`: `transition()` and `note()`, the only way a status changes (row lock, allowed
  states, `update_fields`, an event row, notifications after commit by event id);
- `models`: the abstract `StatusEvent` every event table inherits, the abstract signed text
  (`Signature`, `VersionedText`) and access log (`AccessLog`);
- `kept`: values kept per process, or answers kept in the shared cache, under version numbers in
  Redis (`Versions`, `Kept`, `KeptAnswers`);
- `signing`: the SHA-256 of a signed text, its normalised form, and typed-name matching;
- `crypto`: encryption at rest (`EncryptedTextField`) and keyed hashes for look-ups;
- `sms`, `notifications`, `tasks`: SMS backends, `notify_user` (every message to a person, in
  their language), and the delivery tasks that retry;
- `throttle`: fixed-window limits on the cache;
- `admin`: the admin's "action with a form", read-only inlines and mixins;
- `api`: the REST API's base view, error shape and exception handler;
- `probes`, `health`, `metrics`, `logs`, `error_reports`: /healthz, /readyz and /metrics, the
  heartbeat, Prometheus gauges apps register, JSON logs with request ids, Sentry.

`core` imports no app of the project (import-linter checks it).
"""
