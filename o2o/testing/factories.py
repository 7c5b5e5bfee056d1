"""factory_boy factories for tests and benchmarks."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from o2o.catalog.models import SKU, Category, Channel, Price, Product
from o2o.members.models import Member
from o2o.staff.admin_rights import ADMIN_ROLES
from o2o.staff.models import Employee, Role
from o2o.stores.models import Location, Region

PASSWORD = "pass-1234"


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "SH-HP"
    name = "黄浦区"


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    code = factory.Sequence(lambda n: f"S{n:04d}")
    name = factory.Sequence(lambda n: f"门店{n}")
    region = factory.SubFactory(RegionFactory)
    address = "上海市黄浦区南京东路1号"
    latitude = 31.2304
    longitude = 121.4737


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"品类{n}")
    slug = factory.Sequence(lambda n: f"cat-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"商品{n}")
    category = factory.SubFactory(CategoryFactory)


class SKUFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SKU
        skip_postgeneration_save = True

    product = factory.SubFactory(ProductFactory)
    code = factory.Sequence(lambda n: f"SKU{n:05d}")
    barcode = factory.Sequence(lambda n: f"690{n:010d}")
    name = factory.LazyAttribute(lambda o: f"{o.product.name} 500ml")

    @factory.post_generation
    def price(self, create: bool, extracted: Decimal | None, **kwargs) -> None:
        """Every channel at one chain-wide price (pass price=Decimal(...) to choose it)."""
        amount = extracted if extracted is not None else Decimal("10.00")
        Price.objects.bulk_create(Price(sku=self, channel=c, amount=amount) for c in Channel.values)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(self, create: bool, extracted, **kwargs) -> None:
        if create:
            self.save()


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee
        skip_postgeneration_save = True

    # Like a hire: office roles get into the back office, and everyone joins their role's group.
    user = factory.SubFactory(
        UserFactory, is_staff=factory.LazyAttribute(lambda u: u.factory_parent.role in ADMIN_ROLES)
    )
    role = Role.CLERK
    home_location = factory.SubFactory(LocationFactory)
    code = factory.Sequence(lambda n: f"E{n:05d}")
    display_name = factory.Sequence(lambda n: f"店员{n}")

    @factory.post_generation
    def role_group(self, create: bool, extracted, **kwargs) -> None:
        if create:
            self.user.groups.add(Group.objects.get(name=self.role))


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    phone = factory.Sequence(lambda n: f"+86138{n:08d}")
    name = factory.Sequence(lambda n: f"会员{n}")
    registration_channel = Member.RegistrationChannel.H5
