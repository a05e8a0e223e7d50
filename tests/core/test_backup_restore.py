"""Backup and restore as a round trip that loses nothing: rows, relations and uploaded files."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from core.management.commands.backup import EXCLUDED, row_counts
from matchmaking.models import Match
from outcomes.models import BidAttachment
from tests.factories import make_achievement, make_need

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _dump() -> str:
    out = io.StringIO()  # XML: every datetime to the microsecond
    call_command("dumpdata", exclude=EXCLUDED, natural_foreign=True, format="xml", stdout=out, indent=0)
    return out.getvalue()


def test_backup_then_restore_into_an_empty_database_loses_nothing(world, tmp_path, settings):
    from outcomes import challenges
    from outcomes.contracts import contract_create

    settings.MEDIA_ROOT = str(tmp_path / "media")
    achievement = make_achievement(
        world.inst_a, title="固态锂电池电解质", patents=[{"number": "ZL202110123456.7", "status": "granted"}]
    )
    need = make_need(world.ent_a, title="寻求固态电池技术")
    match = Match.objects.create(
        need=need, achievement=achievement, score=0.7, rank=1, algorithm_version="t", broker=world.users["broker"]
    )
    challenge_need = make_need(
        world.ent_a,
        title="揭榜：电池回收",
        status="draft",
        is_challenge=True,
        challenge_award=100,
        challenge_closes_on=timezone.localdate() + timedelta(days=20),
    )
    challenge = challenges.challenge_submit(actor=world.users["ent_a"], need=challenge_need)
    challenges.challenge_screen(actor=world.users["organiser"], challenge=challenge, approve=True)
    challenges.challenge_publish(actor=world.users["organiser"], challenge=challenge)
    bid = challenges.bid_submit(
        actor=world.users["inst_a"],
        challenge=challenge,
        team_name="团队",
        proposal="方案",
        budget=80,
        timeline_months=12,
    )
    challenges.bid_attach(actor=world.users["inst_a"], bid=bid, upload=SimpleUploadedFile("方案.pdf", b"%PDF proposal"))
    for stage in ("shortlisted", "introduced", "negotiating"):
        from matchmaking.services import match_transition

        match = match_transition(match=match, actor=world.users["broker"], to_stage=stage)
    contract_create(
        actor=world.users["organiser"],
        contract_type="transfer",
        title="合同",
        amount=10,
        signed_on=timezone.localdate(),
        match=match,
    )
    from accounts.models import User

    User.objects.filter(pk=world.users["admin"].pk).update(  # sub-millisecond precision must survive too
        date_joined=timezone.now().replace(microsecond=123)
    )
    before_counts, before_dump = row_counts(), _dump()
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", out=str(archive), stdout=io.StringIO())

    call_command("flush", interactive=False)
    for path in (tmp_path / "media").rglob("*"):
        if path.is_file():
            path.unlink()
    call_command("restore", str(archive), stdout=io.StringIO())

    assert row_counts() == before_counts
    assert _dump() == before_dump
    attachment = BidAttachment.objects.get()
    assert attachment.file.open("rb").read() == b"%PDF proposal"


def test_restore_refuses_a_database_that_is_not_empty(world, tmp_path):
    from django.core.management.base import CommandError

    archive = tmp_path / "b.tar.gz"
    call_command("backup", out=str(archive), stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("restore", str(archive), stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("restore", str(tmp_path / "missing.tar.gz"))
