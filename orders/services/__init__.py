"""Order services, one module per topic; import the verbs from their module.

    common      the lifecycle table, errors, row locks and `transition` (on core.lifecycle)
    care        the person cared for: intake rules, who may see the details, staff reads
    booking     `check_booking` (every channel's rules, once) and `book_order`
    contracts   the contract generated when a provider is assigned, and its signatures
    execution   arrival check-in and the completion report
    lifecycle   offered, confirmed, started, completed, cancelled, rescheduled
    guarantee   claims, their decision, the customer's balance
    recurring   recurring series and booking their dates ahead
    pricebook   copying and publishing versions of the price book

Each module imports only those above it in this list (`common` first), so there is no cycle.
"""
