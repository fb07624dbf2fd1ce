"""Who may do what: the one table of R-SEC-5, checked by tests/test_access_matrix.py and shown
in docs/architecture.md (render_markdown() gives the text; a test keeps the two equal).

Personas: a visitor; "customer" owns every object of the test world (orders, tickets, series)
and "other_customer" owns none; "provider" is assigned to the world's jobs and holds its offer,
"other_provider" is another active provider, "applicant" is a provider still being vetted; one
operator in each staff group; a superuser. Allowed means the door opened (a page, a redirect
onwards, or the form's own 400); refused means 401, 403, 404, 405 or a redirect to log in.
"""

from __future__ import annotations

PERSONAS = (
    "anonymous",
    "customer",
    "other_customer",
    "provider",
    "other_provider",
    "applicant",
    "vetting",
    "support",
    "quality",
    "finance",
    "superuser",
)

NOBODY: frozenset[str] = frozenset()
EVERYONE = frozenset(PERSONAS)
SIGNED_IN = EVERYONE - {"anonymous"}
CUSTOMERS = frozenset({"customer", "other_customer"})
PROVIDER_ACCOUNTS = frozenset({"provider", "other_provider", "applicant"})
OWNER = frozenset({"customer"})  # the customer of the order, series or ticket
ASSIGNED = frozenset({"provider"})  # the provider of the job or of the offer
SUPPORT = frozenset({"support", "superuser"})
SUPPORT_AND_QUALITY = frozenset({"support", "quality", "superuser"})
FINANCE = frozenset({"finance", "superuser"})
# Staff who read the books (ledger.view_journalentry).
BOOKKEEPING = frozenset({"support", "quality", "finance", "superuser"})
VETTING = frozenset({"vetting", "superuser"})
VETTING_AND_QUALITY = frozenset({"vetting", "quality", "superuser"})
SUPERUSER = frozenset({"superuser"})

# Names for the documentation, most specific first.
NAMED = (
    (NOBODY, "nobody"),
    (EVERYONE, "everyone"),
    (SIGNED_IN, "anyone signed in"),
    (CUSTOMERS, "customers"),
    (PROVIDER_ACCOUNTS, "providers and applicants"),
    (OWNER, "its customer"),
    (ASSIGNED, "its provider"),
    (OWNER | ASSIGNED, "its customer and provider"),
    (OWNER | ASSIGNED | SUPPORT_AND_QUALITY, "its customer and provider, support, quality"),
    (SUPPORT, "support"),
    (SUPPORT_AND_QUALITY, "support, quality"),
    (FINANCE, "finance"),
    (BOOKKEEPING, "support, quality, finance"),
    (VETTING, "vetting"),
    (VETTING_AND_QUALITY, "vetting, quality"),
    (SUPERUSER, "superuser only"),
)


def row(get: frozenset[str], post: frozenset[str] = NOBODY) -> dict[str, frozenset[str]]:
    return {"get": get, "post": post}


TABLE: dict[str, dict[str, frozenset[str]]] = {
    # Public pages and the steps of signing in, up and back.
    "home": row(EVERYONE),
    "set_language": row(EVERYONE, EVERYONE),
    "accounts:login": row(EVERYONE, EVERYONE),
    "accounts:logout": row(NOBODY, EVERYONE),
    "accounts:home_for_user": row(SIGNED_IN, SIGNED_IN),
    "accounts:signup": row(EVERYONE, EVERYONE),
    "accounts:signup_code": row(EVERYONE, EVERYONE),
    "accounts:signup_details": row(EVERYONE, EVERYONE),
    "accounts:password_reset": row(EVERYONE, EVERYONE),
    "accounts:password_reset_code": row(EVERYONE, EVERYONE),
    "accounts:password_reset_new": row(EVERYONE, EVERYONE),
    "providers:apply": row(EVERYONE, EVERYONE),
    "providers:apply_verify": row(EVERYONE, EVERYONE),
    "providers:apply_details": row(EVERYONE, EVERYONE),
    "contract_verify": row(EVERYONE),
    "api_schema": row(EVERYONE),
    "api_docs": row(EVERYONE),
    # Customers: their own orders, contracts, series, ratings and tickets.
    "orders:book": row(CUSTOMERS, CUSTOMERS),
    "orders:book_times": row(CUSTOMERS),
    "orders:list": row(CUSTOMERS, CUSTOMERS),
    "orders:detail": row(OWNER, OWNER),
    "orders:cancel": row(NOBODY, OWNER),
    "orders:reschedule": row(OWNER, OWNER),
    "orders:claim": row(OWNER, OWNER),
    "orders:repeat": row(OWNER, OWNER),
    "orders:series_list": row(CUSTOMERS, CUSTOMERS),
    "orders:series_change": row(NOBODY, OWNER),
    "orders:contract": row(OWNER | ASSIGNED, OWNER | ASSIGNED),
    "orders:contract_pdf": row(OWNER | ASSIGNED | SUPPORT_AND_QUALITY),
    "matching:choose": row(OWNER, OWNER),
    "matching:choose_provider": row(NOBODY, OWNER),
    "matching:other_providers": row(NOBODY, OWNER),
    "reviews:rate": row(OWNER, OWNER),
    "ledger:wallet": row(CUSTOMERS),
    # Paying (R-PAY-2): the order's customer pays; the gateway's return and callback are open
    # to anyone (the gateway is asked, the callback's signature checked); receipts for their
    # customer and the staff who may see receipts.
    "payments:pay": row(OWNER, OWNER),
    "payments:return": row(EVERYONE),
    "payments:callback": row(NOBODY, EVERYONE),
    "payments:receipt_pdf": row(OWNER | frozenset({"support", "finance", "superuser"})),
    "payments:sandbox_card": row(EVERYONE, EVERYONE),
    "payments_api:start": row(NOBODY, OWNER),
    "payments_api:payment": row(OWNER),
    "payments_api:wallet": row(CUSTOMERS),
    "support:list": row(SIGNED_IN, SIGNED_IN),
    "support:detail": row(OWNER, OWNER),
    "support:new_for_order": row(OWNER, OWNER),
    # Providers: their dashboard, offers and jobs; applicants their application.
    "matching:dashboard": row(PROVIDER_ACCOUNTS, PROVIDER_ACCOUNTS),
    "matching:offer_accept": row(NOBODY, ASSIGNED),
    "matching:offer_decline": row(NOBODY, ASSIGNED),
    "orders:job_detail": row(ASSIGNED, ASSIGNED),
    "orders:job_on_the_way": row(NOBODY, ASSIGNED),
    "orders:job_check_in": row(NOBODY, ASSIGNED),
    "orders:job_start": row(NOBODY, ASSIGNED),
    "orders:job_complete": row(NOBODY, ASSIGNED),
    "providers:application": row(PROVIDER_ACCOUNTS, PROVIDER_ACCOUNTS),
    "providers:application_withdraw": row(NOBODY, PROVIDER_ACCOUNTS),
    "providers:commitment": row(PROVIDER_ACCOUNTS, PROVIDER_ACCOUNTS),
    "providers:suspension": row(PROVIDER_ACCOUNTS, PROVIDER_ACCOUNTS),
    # Earnings (R-PAY-4): applicants are sent to their application.
    "payments:earnings": row(PROVIDER_ACCOUNTS, PROVIDER_ACCOUNTS),
    "payments:earnings_statement": row(PROVIDER_ACCOUNTS),
    "payments:earnings_statement_pdf": row(PROVIDER_ACCOUNTS),
    # Staff pages outside the admin.
    "orders:phone_take": row(SUPPORT, SUPPORT),
    "orders:phone_times": row(SUPPORT),
    "orders:phone_done": row(SUPPORT),
    "matching:candidates": row(SUPPORT, SUPPORT),
    "matching:batch": row(SUPPORT, SUPPORT),
    "matching:batch_assign": row(NOBODY, SUPPORT),
    "matching:batch_result": row(SUPPORT, SUPPORT),
    "providers:document_file": row(VETTING),
    "providers:staff_funnel": row(VETTING_AND_QUALITY, VETTING_AND_QUALITY),
    "reviews:staff_calls": row(SUPPORT_AND_QUALITY, SUPPORT_AND_QUALITY),
    "reviews:staff_call": row(SUPPORT_AND_QUALITY, SUPPORT_AND_QUALITY),
    "ledger:overview": row(BOOKKEEPING),
    # The API (tokens only): customers, their own objects.
    "accounts_api:token": row(NOBODY, EVERYONE),
    "accounts_api:logout": row(NOBODY, SIGNED_IN),
    "api:quote": row(NOBODY, CUSTOMERS),
    "api:slots": row(CUSTOMERS),
    "api:orders": row(CUSTOMERS, CUSTOMERS),
    "api:order": row(OWNER),
    "api:order_cancel": row(NOBODY, OWNER),
    "api:order_new_times": row(OWNER),
    "api:order_reschedule": row(NOBODY, OWNER),
    "api:order_repeat_agreement": row(OWNER),
    "api:series": row(CUSTOMERS, CUSTOMERS),
    "api:series_pause": row(NOBODY, OWNER),
    "api:series_resume": row(NOBODY, OWNER),
    "api:series_end": row(NOBODY, OWNER),
    "matching_api:recommendations": row(OWNER),
    "matching_api:choose": row(NOBODY, OWNER),
    "matching_api:others": row(NOBODY, OWNER),
}

# The admin: who may open each model's list (and an object's page). Staff groups get their
# permissions from each app's AppConfig.staff_permissions.
ADMIN_TABLE: dict[str, frozenset[str]] = {
    "accounts.user": SUPERUSER,
    "auth.group": SUPERUSER,
    "core.outboxtask": SUPERUSER,
    "core.outgoingmessage": SUPPORT_AND_QUALITY,
    "ledger.journalentry": BOOKKEEPING,
    "ledger.ledgeraccount": BOOKKEEPING,
    "matching.offer": SUPPORT_AND_QUALITY,
    "matching.recommendation": SUPPORT_AND_QUALITY,
    "orders.carerecipientaccess": SUPERUSER,
    "orders.contract": SUPERUSER,
    "orders.contracttemplate": SUPERUSER,
    "orders.guaranteeclaim": SUPERUSER,
    "orders.order": SUPPORT_AND_QUALITY,
    "orders.pricebook": SUPERUSER,
    "orders.recurringseries": SUPPORT,
    "orders.servicecategory": SUPERUSER,
    "orders.servicetype": frozenset({"vetting", "support", "superuser"}),
    "payments.commissiontable": FINANCE,
    "payments.earningrecord": FINANCE,
    "payments.payment": BOOKKEEPING,
    "payments.payoutaccount": FINANCE,
    "payments.payoutrun": FINANCE,
    "payments.receipt": frozenset({"support", "finance", "superuser"}),
    "payments.refund": frozenset({"support", "finance", "superuser"}),
    "payments.sandboxcharge": SUPERUSER,
    "providers.commitmenttext": VETTING,
    "providers.course": VETTING,
    "providers.documentaccess": VETTING,
    "providers.enrollment": VETTING,
    "providers.interview": VETTING,
    "providers.provider": frozenset({"vetting", "support", "quality", "superuser"}),
    "providers.providerevent": frozenset({"vetting", "support", "quality", "superuser"}),
    "providers.providerreward": SUPERUSER,
    "providers.scorecard": VETTING,
    "providers.servicearea": VETTING,
    "providers.skill": VETTING,
    "providers.suspensionappeal": frozenset({"quality", "superuser"}),
    "providers.timeoff": VETTING,
    "providers.trainingsession": VETTING,
    "providers.vettingdocument": VETTING,
    "reviews.providerfeedbackcall": frozenset({"vetting", "support", "quality", "superuser"}),
    "reviews.rating": SUPPORT_AND_QUALITY,
    "support.ticket": SUPPORT_AND_QUALITY,
}


def describe(personas: frozenset[str]) -> str:
    for named, label in NAMED:
        if personas == named:
            return label
    return ", ".join(persona for persona in PERSONAS if persona in personas)


def render_markdown() -> str:
    """The table as docs/architecture.md shows it."""
    from django.urls import reverse

    from .test_access_matrix import routes

    found = routes()
    lines = ["| Route | Path | GET | POST |", "|---|---|---|---|"]
    for name in sorted(TABLE):
        pattern = found[name][0] if name in found else reverse(name)
        lines.append(
            f"| `{name}` | `/{pattern}` | {describe(TABLE[name]['get'])} "
            f"| {describe(TABLE[name]['post'])} |"
        )
    lines += ["", "| Admin model | Who opens its list and pages |", "|---|---|"]
    lines += [f"| `{label}` | {describe(ADMIN_TABLE[label])} |" for label in sorted(ADMIN_TABLE)]
    return "\n".join(lines)
