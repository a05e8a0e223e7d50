"""Platform admins find matches, interest and failed tasks in the admin; institution members,
who use the admin for their own achievements, do not."""

from django.test import Client

from core.models import TaskFailure
from matchmaking.models import Match

from ..factories import make_achievement, make_need


def _admin_client(world, name):
    user = world.users[name]
    user.is_staff = True
    user.is_superuser = name == "admin"
    user.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_admins_see_matches_and_failed_tasks_institution_members_do_not(world):
    need = make_need(world.ent_a, title="机密需求甲", confidentiality="brokers")
    match = Match.objects.create(need=need, achievement=make_achievement(world.inst_a), score=0.5)
    TaskFailure.objects.create(task_id="t1", task="matchmaking.embed_records", reason="model missing")
    admin = _admin_client(world, "admin")
    assert "机密需求甲" in admin.get("/admin/matchmaking/match/").content.decode()
    assert admin.get(f"/admin/matchmaking/match/{match.pk}/change/").status_code == 200
    assert "model missing" in admin.get("/admin/core/taskfailure/").content.decode()
    member = _admin_client(world, "inst_a")
    assert member.get("/admin/matchmaking/match/").status_code == 403
    assert member.get("/admin/core/taskfailure/").status_code == 403
    assert "机密需求甲" not in member.get("/admin/").content.decode()


def test_the_chinese_admin_names_every_model_in_chinese(world):
    import re

    client = _admin_client(world, "admin")
    page = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    page.force_login(world.users["admin"])
    index = page.get("/admin/").content.decode()
    ours = {"core", "accounts", "achievements", "enterprises", "matchmaking", "events", "outcomes", "notifications"}
    found = re.findall(r'<th scope="row"[^>]*>\s*<a href="/admin/([a-z_]+)/[^"]*">([^<]+)</a>', index)
    names = [name for app, name in found if app in ours | {"onboarding"}]
    english = [name for name in names if re.fullmatch(r"[A-Za-z][A-Za-z \-]+", name)]
    assert names and english == [], english
    captions = re.findall(r'<caption>\s*<a href="/admin/([a-z_]+)/"[^>]*>([^<]+)</a>', index)
    english_apps = [
        name for app, name in captions if app in ours and re.fullmatch(r"[A-Za-z][A-Za-z \-]+", name.strip())
    ]
    assert captions and english_apps == [], english_apps
    assert "科创桥管理" in index and "Django" not in re.sub(r"<[^>]+>", " ", index).split("科创桥管理")[0]
    assert client  # the staff flags are set by _admin_client
