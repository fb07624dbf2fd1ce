from .appeals import AppealDecision, SuspensionAppeal
from .core import (
    Provider,
    ProviderEvent,
    ProviderSkill,
    ProviderStatus,
    RejectionReason,
    ServiceArea,
    Skill,
    TimeOff,
    Weekday,
    WorkingHours,
)
from .documents import DocumentAccess, DocumentKind, VettingDocument
from .interviews import Criterion, Interview, InterviewStatus, Scorecard
from .training import (
    CommitmentSignature,
    CommitmentText,
    Course,
    Enrollment,
    EnrollmentPurpose,
    TrainingSession,
)

__all__ = [
    "AppealDecision",
    "CommitmentSignature",
    "CommitmentText",
    "Course",
    "Criterion",
    "DocumentAccess",
    "DocumentKind",
    "Enrollment",
    "EnrollmentPurpose",
    "Interview",
    "InterviewStatus",
    "Provider",
    "ProviderEvent",
    "ProviderSkill",
    "ProviderStatus",
    "RejectionReason",
    "Scorecard",
    "ServiceArea",
    "Skill",
    "SuspensionAppeal",
    "TimeOff",
    "TrainingSession",
    "VettingDocument",
    "Weekday",
    "WorkingHours",
]
