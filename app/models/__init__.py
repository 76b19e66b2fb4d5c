"""SQLAlchemy models only; the constraints carry the invariants. Import all for Alembic."""
from app.models.accounts import Account, Role  # noqa: F401
from app.models.dictionary import DictEntry  # noqa: F401
from app.models.employer import (Employer, EmployerEvidence, EvidenceKind,  # noqa: F401
                                 VerificationStatus)
from app.models.org import (College, EducationLevel, Gender, Major, RecordStatus,  # noqa: F401
                            ReviewLevels, School, SourceStatus, Student, TrainingMode)
from app.models.wechat import WechatApp, WechatIdentity  # noqa: F401
from app.models.flow import FlowEntry  # noqa: F401
from app.models.notifications import (Notification, OutboxMessage, OutboxStatus,  # noqa: F401
                                      RecipientType)
from app.models.signing import (ActiveDestination, AgreementCounter, ArchiveProfile,  # noqa: F401
                                ArchiveProfileRevision, DestinationKind, Favorite, Invitation,
                                InvitationRevision, InvitationState, RevisionStatus,
                                TerminationStatus)
from app.models.termination import (InterventionEvidence, Party, Termination,  # noqa: F401
                                    TerminationState)
from app.models.delivery import (AccountEvent, Delivery, DeliveryStatus,  # noqa: F401
                                 SubscribeGrant)
from app.models.work import LongJob, WorkState  # noqa: F401
from app.models.idempotency import IdempotencyRecord  # noqa: F401
from app.models.school_admin import (MinimumWage, ReviewReminder, ScopeChange,  # noqa: F401
                                     SigningScope, StudentChange)
from app.models.document import AgreementDocument  # noqa: F401
from app.models.relay import RelayMarker  # noqa: F401
from app.models.destination import (DestinationFile, DestinationState, FilePurpose,  # noqa: F401
                                    OtherDestination)
from app.models.paper import (PaperAgreement, PaperScan, PaperState, PaperTermination,  # noqa: F401
                              PaperTerminationState)
