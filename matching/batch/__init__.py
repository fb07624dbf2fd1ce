"""The batch assignment (R-MAT-5): place a day's waiting orders at once, maximising the orders
placed and then the total score. Reads and computation only; import from the modules.

    solver    the pure problem and `assign_optimal` (no database; property-tested)
    pool      everyone who could serve the batch's orders, read in bulk, and `free`
    problem   `build_problem`: the orders as the solver's problem, eligibility and scores
    plan      `orders_for_batch`, `plan_batch` (nothing saved) and `run_rows` for the pages

Each module imports only those above it in this list. What writes lives with the other
services: `matching.services.batch` (`assign_batch`, `run_batch`, `fail_batch`: offers, not
confirmations, in one transaction) and `matching.requests.request_batch`, which records an
operator's request and queues `run_batch_task`.
"""
