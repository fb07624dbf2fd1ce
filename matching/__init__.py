"""Matching: who gets an order (R-MAT-1..5). Packages and modules, bottom up:

- `models/`: `Offer`, `Recommendation`, `BatchRun` (import them from `matching.models`);
- `scoring`: the score's formula, one object at a time and over numpy columns;
- `roster`: providers' standing data as numpy columns, kept per process between changes;
- `eligibility`: the rules that depend on a roster alone, for ranking and the batch alike;
- `ranking`, `selectors`: the ranked candidates of one order, recommendations, the audit;
- `notifications`: the messages to customers and providers, sent after commit;
- `batch/`: the batch assignment's solver, pool, problem and plan (reads only);
- `services/`: the writes the tasks and the edges call (offers, rounds, assignment, batch);
- `tasks`: Celery tasks over `services`; `receivers`: orders' signal to the match task;
- `requests`: what a web request asks for a task to do (the customer's choice, "show me
  others", a batch), queued on commit: above `tasks`, so `services` never imports a task;
- the edges: `views/`, `api`, `admin`, `forms`, `urls`, `templatetags`.

No module imports one listed after it (import-linter: no cycle inside a package).
"""
