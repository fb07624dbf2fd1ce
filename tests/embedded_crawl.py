"""Every page `make run` serves, visited on the embedded mode's own settings (issue 11, item 2).

Run as a program (tests/test_embedded_pages.py does, in a subprocess, so that this process has
SQLite, eager Celery and no Redis, exactly as `make run`):

    DATABASE_URL=sqlite:///... python -m tests.embedded_crawl

It migrates a fresh SQLite database, loads the demo data, and then, as each persona of the
demo (visitor, customer, provider, applicant, operator), follows every link of the site from
that persona's start pages, submits every GET form with its values as shown (the batch
assignment's preview, the funnel's dates...), loads the htmx fragments pages ask for, and in the
admin opens every model's list, add and change pages and the form page of every action on one
row. It prints one JSON line per server error (5xx) and a summary, and exits 1 if there was any.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import deque
from html import unescape
from urllib.parse import urlencode, urljoin, urlsplit

LINK = re.compile(r"""(?:href|hx-get)\s*=\s*["']([^"'#]+)["']""")
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ATTRIBUTE = re.compile(r"""([\w-]+)\s*=\s*["']([^"']*)["']""")
INPUT = re.compile(r"<input\b([^>]*)>", re.I)
SELECT = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.S | re.I)
OPTION = re.compile(r"<option\b([^>]*)>", re.I)
# Leaving the session or the language, and what is not a page.
SKIP = (
    "/accounts/logout",
    "/admin/logout",
    "/i18n/",
    "/static/",
    "/media/",
    "mailto:",
    "tel:",
    "data:",
)
MAX_PAGES_PER_PERSONA = 800


def attributes(text: str) -> dict[str, str]:
    return {name.lower(): unescape(value) for name, value in ATTRIBUTE.findall(text)}


def get_form_queries(page: str, base: str) -> list[str]:
    """Each GET form of the page, filled in with the values it shows."""
    urls = []
    for form_attributes, body in FORM.findall(page):
        form = attributes(form_attributes)
        if form.get("method", "get").lower() != "get":
            continue
        values = []
        for tag in INPUT.findall(body):
            field = attributes(tag)
            kind = field.get("type", "text")
            if "name" not in field or kind in ("submit", "button"):
                continue
            if kind in ("checkbox", "radio") and "checked" not in tag.lower():
                continue
            values.append((field["name"], field.get("value", "")))
        for select_attributes, options in SELECT.findall(body):
            name = attributes(select_attributes).get("name")
            choices = [attributes(option) for option in OPTION.findall(options)]
            filled = [c for c in choices if c.get("value")]
            chosen = [c for c in choices if "selected" in c] or filled[:1]
            if name and chosen:
                values.append((name, chosen[0].get("value", "")))
        urls.append(urljoin(base, form.get("action") or base) + "?" + urlencode(values))
    return urls


class Crawler:
    def __init__(self, client, persona: str):
        self.client = client
        self.persona = persona
        self.seen: set[str] = set()
        self.errors: list[dict] = []
        self.pages = 0

    def fetch(self, url: str, *, method: str = "get", data=None):
        response = getattr(self.client, method)(url, data or {}, HTTP_HX_REQUEST="false")
        self.pages += 1
        if response.status_code >= 500:
            self.errors.append(
                {
                    "persona": self.persona,
                    "method": method,
                    "url": url,
                    "status": response.status_code,
                }
            )
        return response

    def crawl(self, starts: list[str], *, follow: bool = True) -> None:
        """Visit the start pages and, with `follow`, what they link to (at most
        MAX_PAGES_PER_PERSONA pages in all)."""
        queue = deque(starts)
        while queue and (not follow or self.pages < MAX_PAGES_PER_PERSONA):
            url = queue.popleft()
            if url in self.seen:
                continue
            self.seen.add(url)
            response = self.fetch(url)
            if response.status_code in (301, 302) and response.get("Location"):
                queue.append(urljoin(url, response["Location"]))
                continue
            if not follow or "text/html" not in response.get("Content-Type", ""):
                continue
            page = response.content.decode(errors="replace")
            for found in LINK.findall(page):
                target = urljoin(url, unescape(found))
                parts = urlsplit(target)
                if parts.netloc not in ("", "testserver") or any(s in target for s in SKIP):
                    continue
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
            queue.extend(get_form_queries(page, url))


def admin_pages(crawler: Crawler) -> None:
    """Every model's list, add and first change page, and each action's form page on a row."""
    from django.contrib import admin
    from django.contrib.admin import helpers
    from django.urls import reverse

    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        changelist = reverse("admin:{}_{}_changelist".format(*info))
        crawler.crawl([changelist, reverse("admin:{}_{}_add".format(*info))], follow=False)
        first = model._default_manager.order_by("pk").first()
        if first is None:
            continue
        crawler.crawl(
            [
                reverse("admin:{}_{}_change".format(*info), args=[first.pk]),
                reverse("admin:{}_{}_history".format(*info), args=[first.pk]),
            ],
            follow=False,
        )
        request = crawler.client.get(changelist).wsgi_request
        for name in model_admin.get_actions(request):
            if name == "delete_selected":
                continue
            crawler.fetch(
                changelist,
                method="post",
                data={"action": name, helpers.ACTION_CHECKBOX_NAME: [first.pk]},
            )


def seed_activity() -> list[str]:
    """What a day of `make run` adds to the demo: a booking on the web (recommendations shown),
    one by phone (offered), and one a lost message left waiting (what the sweep and the batch
    assignment pick up). Returns the staff pages about them."""
    from datetime import time, timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from orders.models import Channel, Order, OrderStatus, ServiceType
    from orders.services.booking import BookingRequest, book_order, check_booking
    from providers.models import ServiceArea

    customer = get_user_model().objects.get(phone="+989120000001")
    service = ServiceType.objects.get(code="standard-home-cleaning")
    area = ServiceArea.objects.get(code="centre")
    day = timezone.localdate() + timedelta(days=1)
    booked = []
    for start, channel in ((time(10), Channel.WEB), (time(12), Channel.PHONE)):
        request = BookingRequest(
            service_type=service,
            area=area,
            address="1 Crawl Street",
            day=day,
            start=start,
            home_area_sqm=80,
        )
        booked.append(
            book_order(customer=customer, booking=check_booking(request), channel=channel)
        )
    waiting = Order.objects.get(pk=booked[0].pk)
    waiting.pk = None
    waiting.status = OrderStatus.REQUESTED
    waiting.starts_at += timedelta(hours=4)
    waiting.ends_at += timedelta(hours=4)
    waiting.save()  # as a lost message leaves it: no offer, no recommendation
    pages = [f"/matching/batch/?area={area.pk}&day={day.isoformat()}"]
    for order in (*booked, waiting):
        pages += [
            f"/matching/orders/{order.pk}/candidates/",
            f"/admin/orders/order/{order.pk}/change/",
        ]
    return pages


def main() -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    assert settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"), "run on SQLite"
    assert settings.CELERY_TASK_ALWAYS_EAGER, "run with eager Celery (no REDIS_URL)"
    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_demo", verbosity=0)
    staff_pages = seed_activity()
    users = get_user_model().objects
    personas = {
        "visitor": (
            None,
            [
                "/",
                "/accounts/login/",
                "/accounts/signup/",
                "/accounts/password/",
                "/providers/apply/",
            ],
        ),
        "customer": (users.get(phone="+989120000001"), ["/", "/orders/", "/orders/book/"]),
        "provider": (users.get(phone="+989121000001"), ["/", "/provider/"]),
        "applicant": (users.get(phone="+989122000005"), ["/", "/providers/application/"]),
        "operator": (users.get(phone="+989120000000"), ["/", "/admin/", *staff_pages]),
    }
    errors, pages = [], 0
    for persona, (user, starts) in personas.items():
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        crawler = Crawler(client, persona)
        if persona == "operator":
            admin_pages(crawler)
        crawler.crawl(starts)
        errors += crawler.errors
        pages += crawler.pages
        print(json.dumps({"persona": persona, "pages": crawler.pages}), flush=True)
    for error in errors:
        print(json.dumps(error), flush=True)
    print(json.dumps({"pages": pages, "server_errors": len(errors)}), flush=True)
    return 1 if errors else 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.exit(main())
