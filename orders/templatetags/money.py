"""{% load money %}{{ amount|money }} or {{ amount|money:order.currency }}: see orders/money.py.

In a translated sentence that names the currency itself, use the parts:
{{ amount|money_amount:currency }} and {{ currency|currency_name }}."""

from django import template

from ..money import currency_name as _currency_name
from ..money import format_money, money_amount

register = template.Library()


@register.filter
def money(amount, currency=None):
    return format_money(amount, currency or None)


@register.filter(name="money_amount")
def money_amount_filter(amount, currency=None):
    return money_amount(amount, currency or None)


@register.filter
def currency_name(currency):
    return _currency_name(currency or None)
