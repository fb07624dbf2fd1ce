"""Staff services for the versioned price book (R-ORD-2): copy a version into a new draft,
publish a draft. A published version never changes (the models refuse it)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import PriceBook, PriceBookStatus, PriceRule

PUBLISH_PERMISSION = "orders.publish_pricebook"
EDIT_PERMISSION = "orders.add_pricebook"


class PriceBookError(ValidationError):
    """A price book change was refused; the message is for the operator."""


def _next_number() -> int:
    return (PriceBook.objects.aggregate(top=Max("number"))["top"] or 0) + 1


@transaction.atomic
def copy_price_book(*, source: PriceBook, actor, note: str = "") -> PriceBook:
    """A new draft version holding a copy of every rule of `source`."""
    if actor is None or not actor.has_perm(EDIT_PERMISSION):
        raise PriceBookError(_("You may not change the price book."))
    PriceBook.objects.select_for_update().filter(pk=source.pk).first()
    draft = PriceBook.objects.create(
        number=_next_number(),
        valid_from=timezone.now(),
        note=note or _("Copied from version %(number)s") % {"number": source.number},
        created_by=actor,
        copied_from=source,
    )
    PriceRule.objects.bulk_create(
        [
            PriceRule(
                price_book=draft,
                service_type_id=rule.service_type_id,
                unit=rule.unit,
                base_price=rule.base_price,
                rate=rule.rate,
                minimum_price=rule.minimum_price,
                minutes_per_sqm=rule.minutes_per_sqm,
                difficulty_multipliers=dict(rule.difficulty_multipliers),
                tier_multipliers=dict(rule.tier_multipliers),
                option_prices=dict(rule.option_prices),
            )
            for rule in source.rules.all()
        ]
    )
    return draft


@transaction.atomic
def publish_price_book(*, price_book: PriceBook, actor) -> PriceBook:
    """Publish a draft: it becomes the current version from its valid_from (now at the
    earliest), and is immutable from then on. Records who published it and when."""
    if actor is None or not actor.has_perm(PUBLISH_PERMISSION):
        raise PriceBookError(_("You may not publish the price book."))
    book = PriceBook.objects.select_for_update().get(pk=price_book.pk)
    if book.status != PriceBookStatus.DRAFT:
        raise PriceBookError(
            _("Version %(number)s is already published.") % {"number": book.number}
        )
    rules = list(book.rules.select_related("service_type"))
    if not rules:
        raise PriceBookError(_("Add at least one price rule before publishing."))
    problems = []
    for rule in rules:
        try:
            rule.full_clean(exclude=["price_book"])
        except ValidationError as exc:
            problems.append(f"{rule.service_type}: {'; '.join(exc.messages)}")
        missing = [
            option.name
            for option in rule.service_type.options.filter(is_active=True)
            if rule.option_price(option.code) is None
        ]
        if missing:
            problems.append(
                _("%(service)s: no price for %(options)s.")
                % {"service": rule.service_type, "options": ", ".join(missing)}
            )
    if problems:
        raise PriceBookError(problems)
    now = timezone.now()
    latest = (
        PriceBook.objects.published().order_by("-valid_from").values_list("valid_from", flat=True)
    ).first()
    valid_from = max(book.valid_from, now)
    if latest is not None and valid_from < latest:
        raise PriceBookError(
            _("A newer version is already published from %(date)s; choose a later start.")
            % {"date": timezone.localtime(latest).strftime("%Y-%m-%d %H:%M")}
        )
    book.valid_from = valid_from
    book.status = PriceBookStatus.PUBLISHED
    book.published_at = now
    book.published_by = actor
    book.save(update_fields=["valid_from", "status", "published_at", "published_by"])
    return book
