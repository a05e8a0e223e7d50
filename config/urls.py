from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as accounts_views
from accounts.api import MeView, TokenLoginView, TokenLogoutView
from achievements import views as achievements_views
from achievements.api import AchievementViewSet, ExpertViewSet, InstitutionViewSet
from core import views_jobs as core_job_views
from core.api.routers import IdRouter  # also registers the `id` path converter used below
from core.api.views import DistrictViewSet, JobView, TechnicalFieldViewSet, TransferModeViewSet
from enterprises import views as enterprises_views
from enterprises.api import EnterpriseViewSet, NeedViewSet
from events import participant_views
from events import views as events_views
from events.api import EventViewSet, HolidayViewSet, MeetingRequestViewSet, ProgrammeViewSet, RoomViewSet, VenueViewSet
from matchmaking import views as matchmaking_views
from matchmaking.api import (
    AchievementMatchesView,
    AchievementNeedsView,
    InterestViewSet,
    MatchViewSet,
    NeedAnalyseView,
    NeedAnalysisView,
    NeedExpertsView,
    NeedMatchesView,
    SearchView,
)
from notifications import views as notifications_views
from notifications.api import NotificationViewSet
from onboarding import views as onboarding_views
from outcomes import api as outcomes_api
from outcomes import views as outcomes_views

router = IdRouter()
router.register("fields", TechnicalFieldViewSet, basename="field")
router.register("districts", DistrictViewSet, basename="district")
router.register("transfer-modes", TransferModeViewSet, basename="transfer-mode")
router.register("institutions", InstitutionViewSet, basename="institution")
router.register("experts", ExpertViewSet, basename="expert")
router.register("achievements", AchievementViewSet, basename="achievement")
router.register("enterprises", EnterpriseViewSet, basename="enterprise")
router.register("needs", NeedViewSet, basename="need")
router.register("matches", MatchViewSet, basename="match")
router.register("interests", InterestViewSet, basename="interest")
router.register("programmes", ProgrammeViewSet, basename="programme")
router.register("events", EventViewSet, basename="event")
router.register("venues", VenueViewSet, basename="venue")
router.register("rooms", RoomViewSet, basename="room")
router.register("holidays", HolidayViewSet, basename="holiday")
router.register("meeting-requests", MeetingRequestViewSet, basename="meeting-request")
router.register("challenges", outcomes_api.ChallengeViewSet, basename="challenge")
router.register("bids", outcomes_api.BidViewSet, basename="bid")
router.register("contracts", outcomes_api.ContractViewSet, basename="contract")
router.register("licences", outcomes_api.LicenceViewSet, basename="licence")
router.register("targets", outcomes_api.TargetViewSet, basename="target")
router.register("notifications", NotificationViewSet, basename="notification")

api_v1 = [
    path("auth/token/", TokenLoginView.as_view(), name="auth-token"),
    path("auth/logout/", TokenLogoutView.as_view(), name="auth-logout"),
    path("me/", MeView.as_view(), name="me"),
    path("needs/<id:pk>/matches/", NeedMatchesView.as_view(), name="need-matches"),
    path("needs/<id:pk>/experts/", NeedExpertsView.as_view(), name="need-experts"),
    path("needs/analyse/", NeedAnalyseView.as_view(), name="need-analyse"),
    path("needs/<id:pk>/analysis/", NeedAnalysisView.as_view(), name="need-analysis"),
    path("achievements/<id:pk>/matches/", AchievementMatchesView.as_view(), name="achievement-matches"),
    path("achievements/<id:pk>/needs/", AchievementNeedsView.as_view(), name="achievement-needs"),
    # API names start with "api-": `{% url 'search' %}` must be the web page, not the API
    path("search/", SearchView.as_view(), name="api-search"),
    path("jobs/<str:job_id>/", JobView.as_view(), name="api-job"),
    path("reports/kpi/", outcomes_api.KpiView.as_view(), name="report-kpi"),
    path("reports/breakdown/", outcomes_api.BreakdownView.as_view(), name="report-breakdown"),
    path("reports/brokers/", outcomes_api.BrokerReportView.as_view(), name="report-brokers"),
    path("reports/agencies/", outcomes_api.AgencyReportView.as_view(), name="report-agencies"),
    path("reports/challenges/", outcomes_api.ChallengeFunnelView.as_view(), name="report-challenges"),
    path("reports/annual.xlsx", outcomes_api.AnnualReportView.as_view(), name="report-annual"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="swagger-ui"),
    path("", include(router.urls)),
]

# the admin in the platform's name and the reader's language (not "Django administration")
admin.site.site_header = admin.site.site_title = gettext_lazy("TechBridge administration")
admin.site.index_title = gettext_lazy("Platform data")

urlpatterns = [
    path("", onboarding_views.start, name="home"),
    path("join/", onboarding_views.join, name="join"),
    path("join/thanks/", onboarding_views.join_thanks, name="join-thanks"),
    # pages without the site's <link rel="icon"> (the API docs, the admin): browsers ask here
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    # Before Django's own: the password pages that count wrong old passwords towards the sign-in
    # lockout and limit reset e-mails (accounts/views.py).
    path("accounts/password_change/", accounts_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_reset/", accounts_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("broker/inbox/", matchmaking_views.broker_inbox, name="broker-inbox"),
    path("broker/inbox/bulk/", matchmaking_views.inbox_bulk, name="broker-inbox-bulk"),
    path("broker/pipeline/", matchmaking_views.pipeline_board, name="broker-pipeline"),
    path("broker/needs/<id:pk>/experts/", matchmaking_views.need_experts, name="broker-need-experts"),
    path("broker/needs/<id:pk>/analysis/", matchmaking_views.need_analysis_page, name="broker-need-analysis"),
    path("broker/matches/<id:pk>/note/", matchmaking_views.match_note, name="broker-match-note"),
    path("broker/matches/<id:pk>/contract/", outcomes_views.record_contract, name="broker-match-contract"),
    path("search/", matchmaking_views.search_page, name="search"),
    path("notifications/", notifications_views.notification_list, name="notifications"),
    path("notifications/read-all/", notifications_views.notification_read_all, name="notification-read-all"),
    path("notifications/settings/", notifications_views.notification_settings, name="notification-settings"),
    path("notifications/<id:pk>/open/", notifications_views.notification_open, name="notification-open"),
    # the catalogue: every signed-in user, with the API's visibility rules
    path("achievements/<id:pk>/", achievements_views.achievement_page, name="web-achievement"),
    path("institutions/<id:pk>/", achievements_views.institution_page, name="web-institution"),
    path("needs/<id:pk>/", enterprises_views.need_page, name="web-need"),
    path("needs/<id:pk>/interest/", matchmaking_views.need_interest, name="web-need-interest"),
    path("achievements/<id:pk>/interest/", matchmaking_views.achievement_interest, name="web-achievement-interest"),
    path("broker/interests/<id:pk>/followed-up/", matchmaking_views.interest_followed_up, name="broker-interest-done"),
    path("enterprises/<id:pk>/", enterprises_views.enterprise_page, name="web-enterprise"),
    path("institution/achievements/", achievements_views.my_achievements, name="institution-achievements"),
    path("institution/achievements/new/", achievements_views.achievement_create, name="institution-achievement-create"),
    path("institution/achievements/<id:pk>/", achievements_views.achievement_edit, name="institution-achievement-edit"),
    path(
        "institution/achievements/<id:pk>/enterprises/",
        achievements_views.achievement_enterprises,
        name="institution-achievement-enterprises",
    ),
    path("institution/import/", achievements_views.import_page, name="institution-import"),
    path("institution/import/<str:job_id>/", achievements_views.import_job, name="institution-import-job"),
    path("enterprise/needs/", enterprises_views.my_needs, name="enterprise-needs"),
    path("enterprise/needs/new/", enterprises_views.need_create, name="enterprise-need-create"),
    path("enterprise/needs/<id:pk>/", enterprises_views.need_edit, name="enterprise-need-edit"),
    path(
        "enterprise/needs/<id:pk>/suggestions/", enterprises_views.need_suggestions, name="enterprise-need-suggestions"
    ),
    path("enterprise/matches/<id:pk>/request/", enterprises_views.match_request, name="enterprise-match-request"),
    path("organiser/calendar/", events_views.calendar_page, name="organiser-calendar"),
    path("organiser/programmes/", events_views.programme_list, name="organiser-programmes"),
    path("organiser/programmes/new/", events_views.programme_create, name="organiser-programme-create"),
    path("organiser/programmes/<id:pk>/", events_views.programme_page, name="organiser-programme"),
    path("organiser/programmes/<id:pk>/edit/", events_views.programme_edit, name="organiser-programme-edit"),
    path("organiser/programmes/<id:pk>/plan/", events_views.programme_plan, name="organiser-programme-plan"),
    path(
        "organiser/programmes/<id:pk>/closed-days/",
        events_views.programme_close_day,
        name="organiser-programme-close-day",
    ),
    path(
        "organiser/programmes/<id:pk>/closed-days/<id:holiday_pk>/reopen/",
        events_views.programme_reopen_day,
        name="organiser-programme-reopen-day",
    ),
    path("organiser/programmes/<id:pk>/accept/", events_views.programme_accept, name="organiser-programme-accept"),
    path("organiser/events/new/", events_views.event_create, name="organiser-event-create"),
    path("organiser/events/<id:pk>/move/", events_views.event_move, name="organiser-event-move"),
    path("organiser/events/<id:pk>/edit/", events_views.event_edit, name="organiser-event-edit"),
    path("organiser/events/<id:pk>/cancel/", events_views.event_cancel, name="organiser-event-cancel"),
    path("dashboard/", outcomes_views.dashboard, name="dashboard"),
    path("contracts/", outcomes_views.contract_list, name="web-contracts"),
    path("contracts/licences/<id:pk>/evaluate/", outcomes_views.licence_evaluate_step, name="web-licence-evaluate"),
    path("contracts/licences/<id:pk>/paid/", outcomes_views.licence_paid_step, name="web-licence-paid"),
    path("challenges/", outcomes_views.challenge_list, name="web-challenge-list"),
    path("challenges/<id:pk>/", outcomes_views.challenge_detail, name="web-challenge-detail"),
    path("challenges/<id:pk>/action/", outcomes_views.challenge_action, name="web-challenge-action"),
    path("dashboard/download/", outcomes_views.breakdown_download, name="dashboard-download"),
    path("admin-tools/rematch/", matchmaking_views.rematch_page, name="rematch"),
    path("jobs/<str:job_id>/", core_job_views.job_page, name="job-page"),
    path("jobs/<str:job_id>/status/", core_job_views.job_status, name="job-status"),
    path("broker/matches/<id:pk>/", matchmaking_views.match_detail, name="broker-match"),
    path("broker/matches/<id:pk>/transition/", matchmaking_views.match_transition, name="broker-match-transition"),
    path("events/", participant_views.event_list, name="web-event-list"),
    path("events/<id:pk>/", participant_views.event_detail, name="web-event-detail"),
    path("events/<id:pk>/register/", participant_views.register_page, name="web-event-register"),
    path("events/<id:pk>/participants/", participant_views.participants_page, name="web-event-participants"),
    path("events/<id:pk>/pairs/", participant_views.pairs_page, name="web-event-pairs"),
    path(
        "events/<id:pk>/participants/<id:registration_pk>/request/",
        participant_views.request_meeting,
        name="web-event-request-meeting",
    ),
    path("events/<id:pk>/requests/", participant_views.requests_page, name="web-event-requests"),
    path(
        "events/<id:pk>/requests/<id:request_pk>/answer/",
        participant_views.answer_request,
        name="web-event-answer-request",
    ),
    path("events/<id:pk>/agenda/", participant_views.agenda_page, name="web-event-agenda"),
    path("events/<id:pk>/agenda.ics", participant_views.agenda_ics, name="web-event-agenda-ics"),
    path(
        "events/<id:pk>/meetings/<id:meeting_pk>/rate/", participant_views.rate_meeting, name="web-event-rate-meeting"
    ),
    path("events/<id:pk>/survey/", participant_views.survey_page, name="web-event-survey"),
    path("organiser/events/", events_views.organiser_events, name="organiser-events"),
    path("organiser/events/<id:pk>/", events_views.event_page, name="organiser-event"),
    path("organiser/events/<id:pk>/check-in/", events_views.check_in_page, name="organiser-check-in"),
    path("organiser/events/<id:pk>/on-the-day/", events_views.on_the_day, name="organiser-on-the-day"),
    path("organiser/events/<id:pk>/offer-freed/", events_views.offer_freed_tables, name="organiser-offer-freed"),
    path("organiser/events/<id:pk>/grid/print/", events_views.grid_print, name="organiser-grid-print"),
    path("organiser/events/<id:pk>/agendas.zip", events_views.agendas_download, name="organiser-agendas-zip"),
    path("organiser/events/<id:pk>/schedule/", events_views.run_scheduler, name="organiser-run-scheduler"),
    path("organiser/events/<id:pk>/schedule/status/", events_views.scheduler_status, name="organiser-scheduler-status"),
    path("admin/password_change/", admin.site.admin_view(accounts_views.admin_password_change)),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler400 = "core.api.errors.json_400"
handler403 = "core.api.errors.json_403"
handler404 = "core.api.errors.json_404"
handler500 = "core.api.errors.json_500"
