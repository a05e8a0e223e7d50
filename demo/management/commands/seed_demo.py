"""Creates realistic, varied demo data (mostly Chinese, some English), deterministic for a seed."""

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from accounts.models import Agency, Role, User
from achievements import services as achievement_services
from achievements.models import Achievement, AchievementStatus, Institution
from core.models import District, TechnicalField, TransferMode
from core.outbox import wait_for_inprocess_tasks
from core.validators import USCC_ALPHABET, uscc_check_char
from demo.topics import (
    ADVANTAGES,
    AGENCIES,
    BRANDS,
    EN_STAGE_TEXT,
    GIVEN,
    INSTITUTIONS,
    METHODS,
    SECTOR_WORDS,
    STAGE_TEXT,
    SURNAMES,
    TITLES,
    TOPICS,
)
from enterprises import services as enterprise_services
from enterprises.models import Confidentiality, EnterpriseSize, NeedStatus, TechnologyNeed

DEMO_PASSWORD = "techbridge-demo"
TRL_WEIGHTS = [(3, 2), (4, 3), (5, 4), (6, 5), (7, 4), (8, 2), (9, 1)]


class Command(BaseCommand):
    help = "Create demo institutions, enterprises, achievements, needs, experts, brokers and users."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--achievements", type=int, default=400)
        parser.add_argument("--needs", type=int, default=250)
        parser.add_argument("--enterprises", type=int, default=60)

    def handle(self, *args, **options):
        if Institution.objects.exists():
            self.stdout.write("Demo data is already present: nothing to do.")
            return
        self.rng = random.Random(options["seed"])
        self.password = make_password(DEMO_PASSWORD)
        self.fields = {f.code: f for f in TechnicalField.objects.all()}
        self.districts = {d.code: d for d in District.objects.all()}
        self.modes = list(TransferMode.objects.all())
        self.patent_counter = 0
        with transaction.atomic():
            self.make_staff()
            institutions = self.make_institutions()
            self.make_achievements(institutions, options["achievements"])
            enterprises = self.make_enterprises(options["enterprises"])
            self.make_needs(enterprises, options["needs"])
            self.make_events()
        # After the commit above: saving records queued the matching; outcomes need its matches.
        wait_for_inprocess_tasks()
        # Demo data e-mails nobody.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"), transaction.atomic():
            self.make_outcomes()
        wait_for_inprocess_tasks()  # the matching that the outcomes' saves queued
        self.learn_need_analysis()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data created. Sign in as admin, broker01, inst01 or ent01 with password '{DEMO_PASSWORD}'."
            )
        )

    def learn_need_analysis(self):
        """What need analysis learns from the demo's records (the daily worker job does it later)."""
        from matchmaking.analysis.services import rebuild_learned

        rebuild_learned()

    # -- people and organisations ----------------------------------------------------------
    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def user(self, username, role, **fields):
        return User.objects.create(
            username=username, password=self.password, role=role, email=f"{username}@demo.techbridge.local", **fields
        )

    def make_staff(self):
        self.user("admin", Role.ADMIN, is_staff=True, is_superuser=True)
        for n in (1, 2):
            self.user(f"organiser{n}", Role.ORGANISER)
        agencies = [
            Agency.objects.create(name=name, district=self.rng.choice(list(self.districts.values())))
            for name in AGENCIES
        ]
        for n in range(1, 21):
            self.user(f"broker{n:02d}", Role.BROKER, agency=agencies[(n - 1) % len(agencies)], first_name=self.person())

    def make_institutions(self):
        field_codes = list(TOPICS)
        institutions = []
        for n, (name, kind, district) in enumerate(INSTITUTIONS, start=1):
            institution = achievement_services.institution_create(
                actor=None,
                name=name,
                kind=kind,
                district=self.districts[district],
                description=f"{name}是成都地区重要的科研力量，积极推动科技成果转化。",
            )
            institution.demo_fields = self.rng.sample(field_codes, 3)
            self.user(
                f"inst{n:02d}", Role.INSTITUTION, institution=institution, is_staff=True, first_name=self.person()
            )
            for _ in range(3):
                code = self.rng.choice(institution.demo_fields)
                topic = self.rng.choice(TOPICS[code])
                achievement_services.expert_create(
                    actor=None,
                    institution=institution,
                    name=self.person(),
                    title=self.rng.choice(TITLES),
                    field=self.fields[code],
                    expertise=f"长期从事{topic[0]}研究，专长{'、'.join(topic[1])}，主持国家级和省部级项目多项，"
                    f"关注{topic[3]}等场景的成果转化。",
                )
            institutions.append(institution)
        return institutions

    # -- achievements ----------------------------------------------------------------------
    def weighted_trl(self) -> int:
        values, weights = zip(*TRL_WEIGHTS, strict=True)
        return self.rng.choices(values, weights)[0]

    def patent_number(self) -> str:
        self.patent_counter += 1
        year = self.rng.randint(2018, 2025)
        return f"ZL{year}1{self.patent_counter:07d}.{self.rng.randint(0, 9)}"

    def achievement_text(self, topic, trl, english):
        name, keywords, problem, uses, name_en, keywords_en = topic
        stage = achievement_services.resolve_maturity(trl, None)[1]
        n = self.rng.randint(15, 60)
        advantage = self.rng.choice(ADVANTAGES).format(n=n, d=self.rng.randint(5, 9))
        method = self.rng.choice(METHODS)
        if english:
            title = self.rng.choice(
                [
                    f"{name_en.capitalize()} based on {self.rng.choice(['machine learning', 'a novel process', 'multi-scale design'])}",
                    f"Low-cost {name_en} technology",
                    f"High-reliability {name_en} and its applications",
                ]
            )
            abstract = (
                f"This achievement addresses a key bottleneck in {name_en}. The team developed a new approach "
                f"that improves performance by {n}% over current practice. The technology has been "
                f"{EN_STAGE_TEXT[stage]} and suits applications such as {uses}."
            )
            return title, abstract, keywords_en, "en"
        title = self.rng.choice(
            [
                f"基于{method}的{name}技术",
                f"一种{name}方法及装置",
                f"高性能{name}关键技术",
                f"{name}{self.rng.choice(['新工艺', '系统', '集成技术', '核心部件'])}",
                f"面向{uses.split('、')[0]}的{name}技术",
            ]
        )
        abstract = (
            f"本成果针对{problem}的问题，采用{method}方法，研发了{name}技术。"
            f"通过{'、'.join(keywords[:2])}等关键技术创新，{advantage}。"
            f"该技术已{STAGE_TEXT[stage]}，可应用于{uses}等领域，具有良好的推广前景。"
        )
        return title, abstract, keywords, "zh-hans"

    def make_achievements(self, institutions, count):
        used_titles = set()
        created = 0
        while created < count:
            institution = institutions[created % len(institutions)]
            code = (
                self.rng.choice(institution.demo_fields) if self.rng.random() < 0.85 else self.rng.choice(list(TOPICS))
            )
            topic = self.rng.choice(TOPICS[code])
            trl = self.weighted_trl()
            english = self.rng.random() < 0.1
            title, abstract, keywords, language = self.achievement_text(topic, trl, english)
            if (institution.pk, title) in used_titles:
                title = f"{title}（{self.rng.choice(['二期', '改进型', '第二代', '优化方案', '集成示范'])}）"
                if (institution.pk, title) in used_titles:
                    continue
            used_titles.add((institution.pk, title))
            low = Decimal(self.rng.choice([10, 20, 30, 50, 80, 100, 150, 200, 300, 500]))
            roll = self.rng.random()
            status = AchievementStatus.PUBLISHED if roll < 0.85 else AchievementStatus.DRAFT
            achievement = achievement_services.achievement_create(
                actor=None,
                institution=institution,
                title=title,
                abstract=abstract,
                field=self.fields[code],
                trl=trl,
                keywords=keywords,
                language=language,
                status=status,
                transfer_modes=self.rng.sample(self.modes, self.rng.randint(1, 3)),
                patents=[
                    {"number": self.patent_number(), "status": self.rng.choice(["granted", "granted", "filed"])}
                    for _ in range(self.rng.choice([0, 1, 1, 2]))
                ],
                asking_price_min=low if self.rng.random() < 0.8 else None,
                asking_price_max=low * self.rng.choice([2, 3, 4]) if self.rng.random() < 0.8 else None,
                inventors="、".join(self.person() for _ in range(self.rng.randint(1, 4))),
                contact_name=self.person(),
                contact_phone=f"028-8{self.rng.randint(1000000, 9999999)}",
            )
            if roll > 0.95:
                achievement_services.achievement_archive(achievement=achievement, actor=None)
            created += 1

    # -- events ----------------------------------------------------------------------------
    def make_events(self):
        """A venue, a programme for next year, and an open event with registrations and requests."""
        from events.models import (
            MatchmakingEvent,
            MeetingRequest,
            Programme,
            ProgrammeTheme,
            PublicHoliday,
            Registration,
            Room,
            Venue,
        )

        organiser = User.objects.get(username="organiser1")
        venue = Venue.objects.create(
            name="科创岛", address="成都高新区天府大道", district=self.districts["high-tech-zone"]
        )
        for n, (capacity, tables) in enumerate([(200, 40), (200, 40), (80, 20), (80, 20), (60, 15), (60, 15)], start=1):
            Room.objects.create(venue=venue, name=f"{n}号厅", capacity=capacity, tables=tables)
        year = timezone.localdate().year + 1
        for month, day, name in [
            (1, 1, "元旦"),
            (5, 1, "劳动节"),
            (10, 1, "国庆节"),
            (10, 2, "国庆节"),
            (10, 3, "国庆节"),
        ]:
            PublicHoliday.objects.get_or_create(
                date=timezone.datetime(year, month, day).date(), defaults={"name": name}
            )
        programme = Programme.objects.create(
            name="成都科技成果对接活动", year=year, target_events=400, organiser=organiser, theme_spacing_days=3
        )
        for code in TOPICS:
            ProgrammeTheme.objects.create(programme=programme, field=self.fields[code], wanted_events=28)
        start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=21)
        event = MatchmakingEvent.objects.create(
            title="新能源与先进制造成果对接会",
            starts_at=start,
            ends_at=start + timedelta(hours=4),
            meeting_minutes=20,
            breaks=[["10:40", "11:00"]],
            room=Room.objects.get(venue=venue, name="1号厅"),
            tables=40,
            capacity=200,
            organiser=organiser,
            registration_deadline=start - timedelta(days=3),
            status="open",
        )
        event.fields.set([self.fields["new-energy"], self.fields["advanced-manufacturing"]])
        holders = [
            Registration.objects.create(event=event, user=u, side="holder", max_meetings=5)
            for u in User.objects.filter(role=Role.INSTITUTION).order_by("username")[:15]
        ]
        firms = [
            Registration.objects.create(event=event, user=u, side="enterprise", max_meetings=5)
            for u in User.objects.filter(role=Role.ENTERPRISE).order_by("username")[:15]
        ]
        Registration.objects.create(event=event, user=User.objects.get(username="broker01"), side="broker")
        for registration in holders:  # what each brings: a few of its own published records
            registration.achievements.set(
                Achievement.objects.filter(institution_id=registration.user.institution_id, status="published")[:2]
            )
        for registration in firms:
            registration.needs.set(
                TechnologyNeed.objects.filter(enterprise_id=registration.user.enterprise_id, status="published")[:2]
            )
        for holder in holders:
            for firm in self.rng.sample(firms, 3):
                status = self.rng.choice(["pending", "accepted", "accepted"])
                MeetingRequest.objects.get_or_create(
                    sender=holder,
                    receiver=firm,
                    defaults={"event": event, "status": status, "message": "希望就成果转化进行交流。"},
                )
                if self.rng.random() < 0.3:
                    MeetingRequest.objects.get_or_create(sender=firm, receiver=holder, defaults={"event": event})

    # -- outcomes --------------------------------------------------------------------------
    def make_outcomes(self):
        """A year of work: held events, matches moved by brokers, contracts (last year's too, for
        the growth figure), a 先使用后付费 licence, challenges at several steps, and targets."""
        from events.models import EventStatus, MatchmakingEvent
        from matchmaking.models import Match, MatchEvent, Stage
        from matchmaking.services import match_transition
        from outcomes import challenges as challenge_services
        from outcomes.contracts import contract_create
        from outcomes.models import ContractType, ProgrammeTarget, TechnologyContract

        today = timezone.localdate()
        organiser = User.objects.get(username="organiser1")
        ProgrammeTarget.objects.get_or_create(
            year=today.year,
            defaults={
                "events_held": 400,
                "achievements_collected": 2000,
                "achievements_matched": 3000,
                "brokers_active": 1000,
            },
        )
        for n in range(10):  # one event a month, held
            start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=7 + 30 * n)
            MatchmakingEvent.objects.create(
                title=f"{start.month}月成果对接会",
                starts_at=start,
                ends_at=start + timedelta(hours=4),
                organiser=organiser,
                status=EventStatus.HELD,
                capacity=100,
                tables=20,
            )
        fields = list(self.fields.values())
        for n in range(25):  # last year's contracts, registered outside the platform
            TechnologyContract.objects.create(
                contract_type=self.rng.choice(ContractType.values),
                title=f"上年度技术合同{n + 1}",
                amount=Decimal(self.rng.choice([30, 80, 120, 200, 350, 600])),
                signed_on=timezone.datetime(today.year - 1, 1 + n % 12, 1 + n % 27).date(),
                field=self.rng.choice(fields),
                district=self.rng.choice(list(self.districts.values())),
            )
        path = [Stage.SHORTLISTED, Stage.INTRODUCED, Stage.MEETING, Stage.NEGOTIATING]
        worked = list(Match.objects.filter(rank__lte=2, broker__isnull=False).select_related("broker")[:90])
        for n, match in enumerate(worked):
            depth = 1 + n % 4
            for stage in path[:depth]:
                match = match_transition(match=match, actor=match.broker, to_stage=stage)
            if depth == 4:
                signed = today - timedelta(days=self.rng.randint(1, max(1, today.timetuple().tm_yday - 1)))
                use_first = None
                if n % 16 == 3:
                    use_first = {"free_use_from": signed, "free_use_until": today + timedelta(days=20)}
                contract_create(
                    actor=match.broker,
                    contract_type=ContractType.LICENCE if use_first else ContractType.TRANSFER,
                    title=f"{match.achievement.title[:40]} 转化合同",
                    amount=Decimal(self.rng.choice([50, 120, 260, 480])),
                    signed_on=signed,
                    match=match,
                    use_first=use_first,
                )
        # spread the pipeline over the year so far, suggestion first
        for event in MatchEvent.objects.select_related("match"):
            days_ago = self.rng.randint(1, max(2, today.timetuple().tm_yday - 1))
            MatchEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
        challenge_needs = list(TechnologyNeed.objects.filter(is_challenge=True, status="published").order_by("pk")[:3])
        for n, need in enumerate(challenge_needs):
            member = need.enterprise.members.first()
            if member is None or need.challenge_closes_on is None or need.challenge_closes_on <= today:
                continue
            # the demo enterprises agree to publish a "brokers only" need as a public challenge
            challenge = challenge_services.challenge_submit(actor=member, need=need, public_consent=True)
            if n == 0:
                continue  # waiting for screening
            challenge_services.challenge_screen(actor=organiser, challenge=challenge, approve=True)
            challenge_services.challenge_publish(actor=organiser, challenge=challenge)
            for bidder in User.objects.filter(role=Role.INSTITUTION).order_by("username")[n : n + 2]:
                challenge_services.bid_submit(
                    actor=bidder,
                    challenge=challenge,
                    team_name=f"{bidder.institution.name}攻关团队",
                    proposal="团队在该方向有多年积累，拟分三阶段完成样机、中试和产线验证。",
                    budget=(challenge.award * Decimal("0.8")).quantize(Decimal("0.01")),
                    timeline_months=18,
                )

    # -- enterprises and needs -------------------------------------------------------------
    def credit_code(self) -> str:
        body = "91510100" + "".join(self.rng.choice(USCC_ALPHABET) for _ in range(9))
        return body + uscc_check_char(body)

    def make_enterprises(self, count):
        codes = list(TOPICS)
        enterprises, names = [], set()
        while len(enterprises) < count:
            code = codes[len(enterprises) % len(codes)]
            name = f"成都{self.rng.choice(BRANDS)}{SECTOR_WORDS[code]}{self.rng.choice(['科技', '技术', '股份', '实业'])}有限公司"
            if name in names:
                continue
            names.add(name)
            size = self.rng.choice(EnterpriseSize.values)
            enterprise = enterprise_services.enterprise_create(
                actor=None,
                name=name,
                credit_code=self.credit_code(),
                industry=self.fields[code],
                district=self.rng.choice(list(self.districts.values())),
                size=size,
                is_high_tech=self.rng.random() < 0.6,
                is_tech_sme=size in ("micro", "small") and self.rng.random() < 0.7,
                description=f"{name}专注于{TOPICS[code][0][3]}等领域的产品研发与生产。",
            )
            enterprise.demo_field = code
            self.user(
                f"ent{len(enterprises) + 1:02d}", Role.ENTERPRISE, enterprise=enterprise, first_name=self.person()
            )
            enterprises.append(enterprise)
        return enterprises

    def make_needs(self, enterprises, count):
        today = timezone.localdate()
        for n in range(count):
            enterprise = enterprises[n % len(enterprises)]
            code = enterprise.demo_field if self.rng.random() < 0.8 else self.rng.choice(list(TOPICS))
            name, keywords, problem, uses, name_en, keywords_en = self.rng.choice(TOPICS[code])
            use = self.rng.choice(uses.split("、"))
            is_challenge = self.rng.random() < 0.1
            english = self.rng.random() < 0.08
            if english:
                title = f"Seeking {name_en} solution for {self.rng.choice(['our production line', 'a new product', 'cost reduction'])}"
                description = (
                    f"We are looking for a partner with proven {name_en} technology to solve "
                    f"problems in our products. Joint development or licensing is welcome."
                )
                keywords_out, language = keywords_en, "en"
            else:
                title = self.rng.choice(
                    [
                        f"寻求{name}技术解决方案",
                        f"{use}领域{name}技术需求",
                        f"{name}关键技术合作开发",
                        f"引进{name}相关成果",
                    ]
                )
                if is_challenge:
                    title = f"揭榜挂帅：{name}关键技术攻关"
                description = (
                    f"我公司主要面向{uses}市场，目前在{use}场景中面临{problem}的问题。"
                    f"希望引进或联合开发{name}相关技术，重点关注{'、'.join(self.rng.sample(keywords, min(2, len(keywords))))}，"
                    f"要求技术成熟、可在一年内完成验证。"
                )
                keywords_out, language = self.rng.sample(keywords, min(3, len(keywords))), "zh-hans"
            low = Decimal(self.rng.choice([20, 50, 80, 100, 200, 300]))
            status = NeedStatus.PUBLISHED if self.rng.random() < 0.88 else NeedStatus.DRAFT
            need = enterprise_services.need_create(
                actor=None,
                enterprise=enterprise,
                title=title,
                description=description,
                field=self.fields[code],
                keywords=keywords_out,
                language=language,
                status=status,
                required_trl=self.rng.choice([None, 4, 5, 6, 7]),
                cooperation_modes=self.rng.sample(self.modes, self.rng.randint(1, 3)),
                budget_min=low,
                budget_max=low * self.rng.choice([2, 3, 5]),
                deadline=today + timedelta(days=self.rng.randint(60, 400)),
                region=enterprise.district,
                confidentiality=Confidentiality.BROKERS if self.rng.random() < 0.2 else Confidentiality.PUBLIC,
                is_challenge=is_challenge,
                challenge_award=Decimal(self.rng.choice([100, 200, 500, 1000])) if is_challenge else None,
                challenge_closes_on=today + timedelta(days=self.rng.randint(30, 120)) if is_challenge else None,
            )
            if status == NeedStatus.PUBLISHED and self.rng.random() < 0.05:
                enterprise_services.need_close(need=need, actor=None)
        self.stdout.write(f"{Achievement.objects.count()} achievements, {count} needs.")
