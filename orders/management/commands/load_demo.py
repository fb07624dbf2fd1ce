"""Load the demo catalogue, areas, providers and logins. Running it twice changes nothing."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop
from pypdf import PdfWriter

from accounts.models import Role, User
from core.crypto import keyed_hash
from core.notifications import silenced
from orders.models import PriceBook, PriceRule, ServiceCategory, ServiceOption, ServiceType
from orders.services.pricebook import copy_price_book, publish_price_book
from providers.models import (
    CommitmentText,
    Course,
    DocumentKind,
    Provider,
    ProviderStatus,
    ServiceArea,
    Skill,
)
from providers.services import import_vetted_provider, screen_application
from providers.services.documents import mark_original_checked, upload_document
from providers.services.interviews import record_scorecard, schedule_interview
from providers.services.lifecycle import PROVIDER_LIFECYCLE, transition
from providers.services.profile import save_working_profile
from providers.services.training import enroll_in_training


def _blank_pdf() -> bytes:
    """One blank A4 page: a PDF that passes the upload checks (R-SEC-6), as a scan would."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


# Stands in for a scanned certificate in the demo.
DEMO_CERTIFICATE_PDF = _blank_pdf()
OPERATOR = ("+989120000000", "Demo Operator", "demo-operator-pass")
CUSTOMER = ("+989120000001", "Demo Customer", "demo-customer-pass")
PROVIDER_PASSWORD = "demo-provider-pass"

AREAS = [
    ("north", gettext_noop("North district")),
    ("centre", gettext_noop("City centre")),
]
# Categories (R-ORD-2): (code, name, position, shown). Repairs come later.
CATEGORIES = [
    ("home-cleaning", gettext_noop("Home cleaning"), 10, True),
    ("elderly-care", gettext_noop("Elderly care"), 20, True),
    ("repairs", gettext_noop("Repairs"), 30, False),
]
# Extra options: (code, name, price, extra minutes).
FRIDGE = ("fridge", gettext_noop("Inside the fridge"), "300000", 30)
OVEN = ("oven", gettext_noop("Inside the oven"), "350000", 30)
WINDOWS = ("windows", gettext_noop("Windows"), "400000", 45)
BALCONY = ("balcony", gettext_noop("Balcony"), "250000", 30)
PRODUCTS = ("provider-products", gettext_noop("The provider brings cleaning products"), "200000", 0)
PER_SQM, PER_HOUR = "per_sqm", "per_hour"
# Services with their price rule in price book v1:
# (skill code, skill name, category, service code, service name, description,
#  unit, base price, rate, minimum price, minutes per m², shortest, longest, minimum tier,
#  asks about the person cared for, options)
CATALOGUE = [
    (
        "home-cleaning",
        gettext_noop("Home cleaning"),
        "home-cleaning",
        "standard-home-cleaning",
        gettext_noop("Standard home cleaning"),
        gettext_noop("Dusting, floors, kitchen surfaces and bathrooms throughout the home."),
        PER_SQM,
        "500000",
        "40000",
        "2000000",
        "1.5",
        120,
        240,
        "standard",
        False,
        [FRIDGE, OVEN, WINDOWS, BALCONY, PRODUCTS],
    ),
    (
        "kitchen-deep-cleaning",
        gettext_noop("Deep kitchen cleaning"),
        "home-cleaning",
        "deep-kitchen-cleaning",
        gettext_noop("Deep kitchen cleaning"),
        gettext_noop("Degreasing the hob, oven, hood, cabinets inside and out, tiles and sink."),
        PER_SQM,
        "1500000",
        "20000",
        "2500000",
        "1.0",
        150,
        240,
        "standard",
        False,
        [FRIDGE, OVEN, WINDOWS, PRODUCTS],
    ),
    (
        "wood-floor-care",
        gettext_noop("Wood-floor care"),
        "home-cleaning",
        "wood-floor-cleaning",
        gettext_noop("Wood-floor cleaning"),
        gettext_noop("Gentle cleaning and polishing of parquet and wooden floors."),
        PER_SQM,
        "800000",
        "35000",
        "2000000",
        "1.2",
        120,
        240,
        "standard",
        False,
        [PRODUCTS],
    ),
    (
        "move-in-cleaning",
        gettext_noop("Move-in cleaning"),
        "home-cleaning",
        "move-in-cleaning",
        gettext_noop("Move-in cleaning"),
        gettext_noop("A top-to-bottom clean of an empty home before you move in."),
        PER_SQM,
        "2000000",
        "60000",
        "4000000",
        "2.0",
        180,
        480,
        "standard",
        False,
        [WINDOWS, BALCONY, PRODUCTS],
    ),
    (
        "elderly-care",
        gettext_noop("Elderly care"),
        "elderly-care",
        "elderly-care-day",
        gettext_noop("A day of elderly care"),
        gettext_noop(
            "A carer stays 8 to 12 hours: company, meals, medication reminders, personal care."
        ),
        PER_HOUR,
        "0",
        "450000",
        "3600000",
        "0",
        480,
        720,
        "experienced",
        True,
        [],
    ),
]
FIRST_NAMES = [
    "Maryam",
    "Zahra",
    "Fatemeh",
    "Sara",
    "Narges",
    "Leila",
    "Elena",
    "Olga",
    "Irina",
    "Natalia",
    "Li Na",
    "Wang Fang",
    "Zhang Min",
    "Liu Yang",
    "Reza",
    "Ali",
    "Hossein",
    "Dmitry",
    "Sergei",
    "Chen Jie",
    "Parisa",
    "Shirin",
    "Anna",
    "Mina",
]
LAST_NAMES = ["Ahmadi", "Karimi", "Ivanova", "Petrova", "Zhou", "Rahimi", "Sokolova", "Huang"]

# Training (R-VET-5): (code, name, pass mark, required before activation, retraining).
COURSES = [
    ("cleaning-technique", gettext_noop("Cleaning technique"), 70, True, False),
    ("customer-care", gettext_noop("Customer care"), 70, True, False),
    ("retraining", gettext_noop("Retraining: quality and customer care"), 70, False, True),
]
# The written commitment to quality, version 1, one file per language: the title, a blank line,
# the text.
COMMITMENT_LANGUAGES = ["en", "fa", "ru", "zh-hans"]
DEMO_DATA = Path(__file__).resolve().parent / "demo_data"
# Applicants at each vetting stage, for the console: (phone, name, national ID, stage).
APPLICANTS = [
    ("+989122000001", "Shabnam Moradi", "0081234562", ProviderStatus.APPLIED),
    ("+989122000002", "Tatiana Orlova", "0174839200", ProviderStatus.SCREENED),
    ("+989122000003", "Zhao Lei", "0429157363", ProviderStatus.INTERVIEW_SCHEDULED),
    ("+989122000004", "Nasrin Jafari", "0632071583", ProviderStatus.INTERVIEWED),
    ("+989122000005", "Svetlana Kuznetsova", "0788452101", ProviderStatus.IN_TRAINING),
]
PASSING_SCORES = {
    "physical_ability": 4,
    "skills": 5,
    "appearance_ethics": 4,
    "responsibility": 4,
    "discipline": 4,
    "honesty": 5,
}


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        # The demo people have no phones: their vetting steps send them nothing.
        with silenced(), transaction.atomic():
            self._load()
        self.stdout.write(self.style.SUCCESS(f"Demo data is loaded. Log in at {settings.SITE_URL}"))
        self.stdout.write(f"  Operator (admin): {OPERATOR[0]} / {OPERATOR[2]}  -> /admin/")
        self.stdout.write(f"  Customer:         {CUSTOMER[0]} / {CUSTOMER[2]}")
        self.stdout.write(
            f"  Providers:        +989121000001 ... +989121000024 / {PROVIDER_PASSWORD}"
        )
        self.stdout.write(
            f"  Applicants:       +989122000001 ... +989122000005 / {PROVIDER_PASSWORD}"
        )

    def _load(self):
        areas = [
            ServiceArea.objects.get_or_create(code=code, defaults={"name": name})[0]
            for code, name in AREAS
        ]
        skills, services = self._catalogue()
        operator = self._user(*OPERATOR, role=Role.OPERATOR, superuser=True)
        self._price_book(services=services, operator=operator)
        self._user(*CUSTOMER, role=Role.CUSTOMER)
        skill_list = list(skills.values())
        for number in range(1, 25):
            phone = f"+98912100{number:04d}"
            if Provider.objects.filter(user__phone=phone).exists():
                continue
            name = f"{FIRST_NAMES[number - 1]} {LAST_NAMES[number % len(LAST_NAMES)]}"
            user = self._user(phone, name, PROVIDER_PASSWORD, role=Role.PROVIDER)
            # Everyone cleans homes; each also has one or two specialities.
            own_skills = [skills["home-cleaning"], skill_list[number % 4]]
            if number % 3 == 0:
                own_skills.append(skill_list[(number + 1) % 4])
                own_skills.append(skills["elderly-care"])  # experienced carers (R-ORD-2)
            own_areas = [areas[number % 2]] if number % 5 else areas
            if number % 4 == 0:  # some work late and every day
                hours = [(day, time(7, 0), time(22, 0)) for day in range(7)]
            else:  # Saturday to Thursday, as is usual in Iran
                hours = [(day, time(8, 0), time(20, 0)) for day in (5, 6, 0, 1, 2, 3)]
            # Qualification tiers set at vetting: every third experienced, every eighth expert,
            # each with the years such a tier stands for.
            tier = "expert" if number % 8 == 0 else "experienced" if number % 3 == 0 else ""
            provider = import_vetted_provider(
                user=user,
                skills=list(dict.fromkeys(own_skills)),
                areas=own_areas,
                weekly_hours=hours,
                experience_years=max(number % 9 + 1, {"experienced": 4, "expert": 8}.get(tier, 0)),
                reason="Demo data: vetted before import",
            )
            if tier:
                Provider.objects.filter(pk=provider.pk).update(tier=tier)
        self._certificates(operator=operator)
        self._vetting(operator=operator, area=areas[0], skill=skills["home-cleaning"])

    def _catalogue(self):
        """Categories, skills, services and their options; existing rows are left alone."""
        categories = {
            code: ServiceCategory.objects.get_or_create(
                code=code, defaults={"name": name, "ordering": position, "is_active": shown}
            )[0]
            for code, name, position, shown in CATEGORIES
        }
        skills, services = {}, []
        for (
            skill_code,
            skill_name,
            category,
            code,
            name,
            description,
            unit,
            base,
            rate,
            minimum,
            minutes,
            shortest,
            longest,
            tier,
            asks_care,
            options,
        ) in CATALOGUE:
            skill = Skill.objects.get_or_create(code=skill_code, defaults={"name": skill_name})[0]
            skills[skill_code] = skill
            service, created = ServiceType.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "description": description,
                    "category": categories[category],
                    "minimum_minutes": shortest,
                    "maximum_minutes": longest,
                    "minimum_tier": tier,
                    "asks_about_person_cared_for": asks_care,
                },
            )
            if created:
                service.required_skills.set([skill])
            for position, (option_code, option_name, _price, extra) in enumerate(options):
                ServiceOption.objects.get_or_create(
                    service_type=service,
                    code=option_code,
                    defaults={"name": option_name, "extra_minutes": extra, "ordering": position},
                )
            rule = {
                "unit": unit,
                "base_price": Decimal(base),
                "rate": Decimal(rate),
                "minimum_price": Decimal(minimum),
                "minutes_per_sqm": Decimal(minutes),
                "option_prices": {option[0]: option[2] for option in options},
            }
            services.append((service, rule))
        return skills, services

    def _price_book(self, *, services, operator):
        """Price book v1, published by the demo operator, once. A database upgraded from before
        the price book already has a v1 (copied by a migration from the old service prices)
        without the newer services and options: those are added in a new version."""
        current = PriceBook.objects.current()
        if current is None:
            if PriceBook.objects.exists():
                return  # staff keep their own drafts; nothing published to build on
            book = PriceBook.objects.create(
                number=1, note="Demo prices", created_by=operator, valid_from=timezone.now()
            )
            for service, rule in services:
                PriceRule.objects.create(price_book=book, service_type=service, **rule)
            publish_price_book(price_book=book, actor=operator)
            return
        held = {rule.service_type_id: rule for rule in current.rules.all()}
        missing = [
            (service, rule)
            for service, rule in services
            if service.pk not in held
            or not set(rule["option_prices"]) <= set(held[service.pk].option_prices)
        ]
        if not missing:
            return
        draft = copy_price_book(
            source=current, actor=operator, note="Demo prices for new services and options"
        )
        for service, rule in missing:
            copied = draft.rules.filter(service_type=service).first()
            if copied is None:
                PriceRule.objects.create(price_book=draft, service_type=service, **rule)
            else:
                copied.option_prices = {**rule["option_prices"], **copied.option_prices}
                copied.save(update_fields=["option_prices"])
        publish_price_book(price_book=draft, actor=operator)

    def _certificates(self, *, operator):
        """A checked certificate of no criminal record for each demo provider, valid for a year,
        so the daily certificate check leaves them at work."""
        today = timezone.localdate()
        missing = Provider.objects.filter(status=ProviderStatus.ACTIVE).exclude(
            documents__kind=DocumentKind.CRIMINAL_RECORD
        )
        for provider in missing:
            document = upload_document(
                provider=provider,
                kind=DocumentKind.CRIMINAL_RECORD,
                uploaded_file=SimpleUploadedFile(
                    "certificate.pdf", DEMO_CERTIFICATE_PDF, content_type="application/pdf"
                ),
                actor=operator,
                issued_on=today - timedelta(days=30),
                expires_on=today + timedelta(days=335),
            )
            mark_original_checked(document=document, actor=operator)

    def _vetting(self, *, operator, area, skill):
        """Courses, the commitment text and five applicants at different vetting stages."""
        for code, name, pass_mark, required, retraining in COURSES:
            Course.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "pass_mark": pass_mark,
                    "required_for_activation": required,
                    "is_retraining": retraining,
                },
            )
        for language in COMMITMENT_LANGUAGES:
            text = (DEMO_DATA / f"commitment_v1_{language}.txt").read_text(encoding="utf-8")
            title, body = text.strip().split("\n\n", 1)
            CommitmentText.objects.get_or_create(
                version=1, language=language, defaults={"title": title, "body": body}
            )
        tomorrow = timezone.localdate() + timedelta(days=1)
        for hour, (phone, name, national_id, stage) in enumerate(APPLICANTS, start=8):
            if Provider.objects.filter(user__phone=phone).exists():
                continue
            provider = self._applicant(phone, name, national_id, area=area, skill=skill)
            if stage == ProviderStatus.APPLIED:
                continue
            screen_application(provider=provider, actor=operator)
            if stage == ProviderStatus.SCREENED:
                continue
            interview = schedule_interview(
                provider=provider,
                interviewer=operator,
                starts_at=timezone.make_aware(datetime.combine(tomorrow, time(hour))),
                location="Head office, 12 Valiasr Street, 3rd floor",
                actor=operator,
            )
            if stage == ProviderStatus.INTERVIEW_SCHEDULED:
                continue
            record_scorecard(
                interview=interview,
                scores=PASSING_SCORES,
                notes={"skills": "Knows wood-floor care well."},
                actor=operator,
            )
            if stage == ProviderStatus.INTERVIEWED:
                continue
            transition(
                provider=provider,
                to=ProviderStatus.IDENTITY_VERIFIED,
                actor=operator,
                reason="Demo data: documents checked in person",
            )
            enroll_in_training(provider=provider, actor=operator)

    def _applicant(self, phone, name, national_id, *, area, skill):
        """An application as the public form leaves it (status applied)."""
        user = self._user(phone, name, PROVIDER_PASSWORD, role=Role.PROVIDER)
        provider = Provider.objects.create(
            user=user,
            status=ProviderStatus.APPLIED,
            status_changed_at=timezone.now(),
            national_id=national_id,
            national_id_hash=keyed_hash(national_id),
            address="Demo address, North district",
            experience_years=2,
        )
        save_working_profile(
            provider=provider,
            skills=[(skill, 2)],
            areas=[area],
            weekly_hours=[(day, time(9), time(17)) for day in (5, 6, 0, 1, 2)],
        )
        PROVIDER_LIFECYCLE.begin(provider, actor=user, reason=gettext_noop("Application submitted"))
        return provider

    def _user(self, phone, full_name, password, *, role, superuser=False):
        user = User.objects.filter(phone=phone).first()
        if user is not None:
            return user
        if superuser:
            return User.objects.create_superuser(phone, password, full_name=full_name)
        return User.objects.create_user(phone, password, full_name=full_name, role=role)
