"""Load the demo catalogue, areas, providers and logins. Running it twice changes nothing."""

from datetime import time
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext_noop

from accounts.models import Role, User
from orders.models import ServiceType
from providers.models import Provider, ServiceArea, Skill
from providers.services import import_vetted_provider

OPERATOR = ("+989120000000", "Demo Operator", "demo-operator-pass")
CUSTOMER = ("+989120000001", "Demo Customer", "demo-customer-pass")
PROVIDER_PASSWORD = "demo-provider-pass"

AREAS = [
    ("north", gettext_noop("North district")),
    ("centre", gettext_noop("City centre")),
]
# (skill code, skill name, service code, service name, description,
#  base price, price per m², minimum price, minutes per m², shortest, longest)
CATALOGUE = [
    (
        "home-cleaning",
        gettext_noop("Home cleaning"),
        "standard-home-cleaning",
        gettext_noop("Standard home cleaning"),
        gettext_noop("Dusting, floors, kitchen surfaces and bathrooms throughout the home."),
        "500000",
        "40000",
        "2000000",
        "1.5",
        120,
        240,
    ),
    (
        "kitchen-deep-cleaning",
        gettext_noop("Deep kitchen cleaning"),
        "deep-kitchen-cleaning",
        gettext_noop("Deep kitchen cleaning"),
        gettext_noop("Degreasing the hob, oven, hood, cabinets inside and out, tiles and sink."),
        "1500000",
        "20000",
        "2500000",
        "1.0",
        150,
        240,
    ),
    (
        "wood-floor-care",
        gettext_noop("Wood-floor care"),
        "wood-floor-cleaning",
        gettext_noop("Wood-floor cleaning"),
        gettext_noop("Gentle cleaning and polishing of parquet and wooden floors."),
        "800000",
        "35000",
        "2000000",
        "1.2",
        120,
        240,
    ),
    (
        "move-in-cleaning",
        gettext_noop("Move-in cleaning"),
        "move-in-cleaning",
        gettext_noop("Move-in cleaning"),
        gettext_noop("A top-to-bottom clean of an empty home before you move in."),
        "2000000",
        "60000",
        "4000000",
        "2.0",
        180,
        480,
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


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print the demo logins."

    @transaction.atomic
    def handle(self, *args, **options):
        areas = [
            ServiceArea.objects.get_or_create(code=code, defaults={"name": name})[0]
            for code, name in AREAS
        ]
        skills = {}
        for (
            skill_code,
            skill_name,
            code,
            name,
            description,
            base,
            per_sqm,
            minimum,
            minutes,
            shortest,
            longest,
        ) in CATALOGUE:
            skill = Skill.objects.get_or_create(code=skill_code, defaults={"name": skill_name})[0]
            skills[skill_code] = skill
            service, created = ServiceType.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "description": description,
                    "base_price": Decimal(base),
                    "price_per_sqm": Decimal(per_sqm),
                    "minimum_price": Decimal(minimum),
                    "minutes_per_sqm": Decimal(minutes),
                    "minimum_minutes": shortest,
                    "maximum_minutes": longest,
                },
            )
            if created:
                service.required_skills.set([skill])

        self._user(*OPERATOR, role=Role.OPERATOR, superuser=True)
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
            own_areas = [areas[number % 2]] if number % 5 else areas
            if number % 4 == 0:  # some work late and every day
                hours = [(day, time(7, 0), time(22, 0)) for day in range(7)]
            else:  # Saturday to Thursday, as is usual in Iran
                hours = [(day, time(8, 0), time(20, 0)) for day in (5, 6, 0, 1, 2, 3)]
            import_vetted_provider(
                user=user,
                skills=list(dict.fromkeys(own_skills)),
                areas=own_areas,
                weekly_hours=hours,
                experience_years=number % 9 + 1,
                reason="Demo data: vetted before import",
            )
        self.stdout.write(
            self.style.SUCCESS("Demo data is loaded. Log in at http://127.0.0.1:8000")
        )
        self.stdout.write(f"  Operator (admin): {OPERATOR[0]} / {OPERATOR[2]}  -> /admin/")
        self.stdout.write(f"  Customer:         {CUSTOMER[0]} / {CUSTOMER[2]}")
        self.stdout.write(
            f"  Providers:        +989121000001 ... +989121000024 / {PROVIDER_PASSWORD}"
        )

    def _user(self, phone, full_name, password, *, role, superuser=False):
        user = User.objects.filter(phone=phone).first()
        if user is not None:
            return user
        if superuser:
            return User.objects.create_superuser(phone, password, full_name=full_name)
        return User.objects.create_user(phone, password, full_name=full_name, role=role)
