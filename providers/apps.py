from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = _("Providers")
    staff_permissions = {
        "vetting": [
            "view_provider",
            "add_provider",
            "change_provider",
            "view_providerevent",
            "view_skill",
            "view_servicearea",
            "view_workinghours",
            "change_workinghours",
            "add_workinghours",
            "delete_workinghours",
            "view_timeoff",
            "add_timeoff",
            "change_timeoff",
            "delete_timeoff",
            "view_vettingdocument",
            "add_vettingdocument",
            "change_vettingdocument",
            "view_document_file",
            "view_documentaccess",
            # Interviews and training (R-VET-3, R-VET-5): the admin forms call the services.
            "view_interview",
            "add_interview",
            "change_interview",
            "view_scorecard",
            "add_scorecard",
            "view_course",
            "add_course",
            "change_course",
            "view_trainingsession",
            "add_trainingsession",
            "change_trainingsession",
            "view_enrollment",
            "change_enrollment",
            "view_commitmenttext",
            "add_commitmenttext",
            "change_commitmenttext",
        ],
        "quality": [
            "view_provider",
            "change_provider",
            "view_providerevent",
            "view_suspensionappeal",
            "change_suspensionappeal",
        ],
        "support": ["view_provider", "view_providerevent"],
    }

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
