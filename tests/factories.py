import itertools
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from accounts.models import Agency, Role, User
from achievements import services as achievement_services
from achievements.models import Achievement, Expert, Institution
from core.models import District, TechnicalField, TransferMode
from core.validators import uscc_check_char
from enterprises import services as enterprise_services
from enterprises.models import Enterprise, TechnologyNeed

_uscc = itertools.count(1)


def valid_uscc() -> str:
    body = f"91510100{next(_uscc):09d}"
    return body + uscc_check_char(body)


def technical_field(code="new-energy") -> TechnicalField:
    return TechnicalField.objects.get(code=code)


def district(code="wuhou") -> District:
    return District.objects.get(code=code)


def modes(*codes) -> list[TransferMode]:
    return list(TransferMode.objects.filter(code__in=codes))


class InstitutionFactory(DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"测试大学{n}")
    kind = "university"


class AgencyFactory(DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"技术转移中心{n}")


class EnterpriseFactory(DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"成都测试科技有限公司{n}")
    credit_code = factory.LazyFunction(valid_uscc)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.ORGANISER

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or "secret-pass-123")
        if create:
            self.save(update_fields=["password"])


class ExpertFactory(DjangoModelFactory):
    class Meta:
        model = Expert

    institution = factory.SubFactory(InstitutionFactory)
    name = factory.Sequence(lambda n: f"专家{n}")
    expertise = "固态电池电解质材料研究"


def make_achievement(institution=None, *, title=None, status="published", **fields) -> Achievement:
    """An achievement created through the service, as users create them."""
    institution = institution or InstitutionFactory()
    defaults = {
        "abstract": "本成果提出一种复合固态电解质，提高锂离子电池安全性和能量密度。",
        "field": technical_field(fields.pop("field_code", "new-energy")),
        "trl": 6,
        "keywords": ["固态电池", "电解质"],
        "transfer_modes": modes("license"),
        "asking_price_min": Decimal("50"),
        "asking_price_max": Decimal("200"),
    }
    defaults.update(fields)
    title = title or f"固态锂电池电解质技术{Achievement.objects.count() + 1}"
    return achievement_services.achievement_create(
        actor=None, institution=institution, title=title, status=status, **defaults
    )


def make_need(enterprise=None, *, title=None, status="published", **fields) -> TechnologyNeed:
    enterprise = enterprise or EnterpriseFactory()
    defaults = {
        "description": "我公司希望引进固态电池电解质技术，提升储能产品安全性。",
        "field": technical_field(fields.pop("field_code", "new-energy")),
        "keywords": ["固态电池"],
        "cooperation_modes": modes("license", "co-development"),
        "budget_min": Decimal("100"),
        "budget_max": Decimal("300"),
    }
    defaults.update(fields)
    title = title or f"寻求固态电池技术{TechnologyNeed.objects.count() + 1}"
    return enterprise_services.need_create(actor=None, enterprise=enterprise, title=title, status=status, **defaults)


def index_everything() -> None:
    """What the embedding task does after each save, for every record at once: tests that build
    rows with factories (matching off) call this before ranking."""
    from achievements.models import Achievement, Expert
    from enterprises.models import TechnologyNeed
    from matchmaking.embeddings import embed_records
    from matchmaking.indexing import index_records

    for kind, model in (("achievement", Achievement), ("need", TechnologyNeed), ("expert", Expert)):
        ids = list(model.objects.values_list("pk", flat=True))
        embed_records(kind=kind, ids=ids)
        index_records(kind=kind, ids=ids)


def adopt_test_centres(model: str = "hash:64"):
    """An adopted, re-indexed set of language centres for `model` (made of random vectors): what
    the worker stores once a corpus is large enough; the fusion then reads centred cosines."""
    import numpy as np

    from matchmaking.centring import fit_rows
    from matchmaking.models import LanguageCentres

    rng = np.random.default_rng(0)
    rows = rng.normal(size=(60, int(model.split(":")[1]) if model.startswith("hash:") else 384))
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    centres = fit_rows({model: (rows, ["zh-hans"] * 30 + ["en"] * 30)}, "centres-test")
    return LanguageCentres.objects.create(
        version=centres.version, data=centres.as_data(), is_active=True, reindexed=True
    )


def at_the_door(event, minutes: int = 5, tick: bool = False):
    """The clock `minutes` after the event begins (stopped, unless `tick`): check-in and
    absences are taken only on the event's day."""
    from datetime import timedelta

    import time_machine

    return time_machine.travel(event.starts_at + timedelta(minutes=minutes), tick=tick)
