from datetime import datetime, time, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import Role, User
from orders.models import Order, OrderStatus, ServiceType
from providers.models import Provider, ProviderStatus, ServiceArea, Skill, WorkingHours

PASSWORD = "a-strong-test-password-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    phone = factory.Sequence(lambda n: f"+98912{n:07d}")
    full_name = factory.Faker("name")
    role = Role.CUSTOMER
    password = factory.django.Password(PASSWORD)


class CustomerFactory(UserFactory):
    role = Role.CUSTOMER


class OperatorFactory(UserFactory):
    role = Role.OPERATOR
    is_staff = True
    is_superuser = True


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ("code",)

    code = "home-cleaning"
    name = "Home cleaning"


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceArea
        django_get_or_create = ("code",)

    code = "north"
    name = "North district"


class ServiceTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceType
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = "standard-home-cleaning"
    name = "Standard home cleaning"
    minimum_minutes = 120
    maximum_minutes = 240

    @factory.post_generation
    def required_skills(self, create, extracted, **kwargs):
        self.required_skills.set(extracted if extracted is not None else [SkillFactory()])

    @factory.post_generation
    def price_rule(self, create, extracted, **kwargs):
        # 500,000 + 40,000 per m², at least 2,000,000, 1.5 min per m², in a published version.
        from tests.orders.catalogue_factories import ensure_price_rule

        ensure_price_rule(self)


class ProviderFactory(factory.django.DjangoModelFactory):
    """An active provider with the home-cleaning skill in the north, working 08:00-20:00 daily."""

    class Meta:
        model = Provider
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, role=Role.PROVIDER)
    status = ProviderStatus.ACTIVE
    experience_years = 3
    vetting_completed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def skills(self, create, extracted, **kwargs):
        self.skills.set(extracted if extracted is not None else [SkillFactory()])

    @factory.post_generation
    def areas(self, create, extracted, **kwargs):
        self.areas.set(extracted if extracted is not None else [AreaFactory()])

    @factory.post_generation
    def hours(self, create, extracted, **kwargs):
        windows = (
            extracted if extracted is not None else [(day, time(8), time(20)) for day in range(7)]
        )
        WorkingHours.objects.bulk_create(
            [WorkingHours(provider=self, weekday=d, starts=s, ends=e) for d, s, e in windows]
        )


def local_datetime(day_offset: int = 1, hour: int = 10, minute: int = 0) -> datetime:
    """An aware datetime `day_offset` days from today at hour:minute local time."""
    day = timezone.localdate() + timedelta(days=day_offset)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    service_type = factory.SubFactory(ServiceTypeFactory)
    area = factory.SubFactory(AreaFactory)
    address = "12 Valiasr Street"
    home_area_sqm = 80
    starts_at = factory.LazyFunction(lambda: local_datetime(1, 10))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=2))
    price = Decimal("3700000")
    currency = "IRR"
    status = OrderStatus.REQUESTED
    # A confirmed or running job holds the provider's time plus the travel buffer.
    blocked_until = factory.LazyAttribute(
        lambda o: (
            o.ends_at + timedelta(minutes=30)
            if o.status in (OrderStatus.CONFIRMED, OrderStatus.IN_PROGRESS)
            else None
        )
    )
