"""What each lifecycle stage means for the applicant: shown on their status page and in messages."""

from django.utils.translation import gettext_lazy as _

from .models import ProviderStatus as S

NEXT_STEP = {
    S.APPLIED: _("Our registration team is reading your application. We will message you."),
    S.SCREENED: _("Your application is approved. We will invite you to an interview soon."),
    S.INTERVIEW_SCHEDULED: _(
        "Come to your interview on time, with your original identity documents."
    ),
    S.INTERVIEWED: _(
        "You passed the interview. Bring your certificate of no criminal record; we will also "
        "take your photo in person."
    ),
    S.IDENTITY_VERIFIED: _("Your documents are verified. We will enrol you in training."),
    S.IN_TRAINING: _(
        "Attend your training sessions. When you pass every course you can sign the commitment."
    ),
    S.UNDER_REVIEW: _("A manager is reviewing your training results. We will message you."),
    S.COMMITMENT_SIGNED: _("Thank you for signing. A manager will activate your account."),
    S.ACTIVE: _("You are active: new job offers appear on your dashboard."),
    S.SUSPENDED: _(
        "You receive no offers for now. Your status page says why and what to do; "
        "you may appeal once."
    ),
    S.PROBATION: _("You are back at work on probation: your next ratings are watched closely."),
    S.REMOVAL_REVIEW: _("A manager is reviewing whether you continue with us."),
    S.REMOVED: _("You no longer work with us."),
    S.REJECTED: _("We cannot take your application further. Thank you for your interest."),
    S.WITHDRAWN: _("You withdrew your application."),
}

# The vetting funnel, in order (R-VET-3 managers' numbers).
FUNNEL = [
    S.APPLIED,
    S.SCREENED,
    S.INTERVIEW_SCHEDULED,
    S.INTERVIEWED,
    S.IDENTITY_VERIFIED,
    S.IN_TRAINING,
    S.COMMITMENT_SIGNED,
    S.ACTIVE,
]
