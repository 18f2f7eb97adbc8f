"""The database tables, as SQLAlchemy 2.0 typed models, one module per family of tables.

Schema changes go through Alembic (`workflow/store/migrations`); these classes and the latest
migration describe the same tables, which a test checks. Importing this package registers every
table on `Base.metadata`; import the names from here.
"""

from __future__ import annotations

from workflow.store.models.accounts import (
    Account,
    AccountLink,
    ApiToken,
    CalendarFeed,
    IdempotentResponse,
    SignInAttempt,
    WebSession,
)
from workflow.store.models.agenda import AgendaChange
from workflow.store.models.case_fields import CaseFieldValue
from workflow.store.models.contacts import CaseContact, CaseLetter, CaseLetterPost
from workflow.store.models.cycles import (
    NAMING,
    Base,
    Cycle,
    CycleRecord,
    DatabaseMark,
    Deadline,
    Decision,
    DecisionAttendee,
    DefinitionSnapshot,
    Effect,
    HistoryEntry,
    OutboxEvent,
    Paper,
    SimulatedNow,
    StrandState,
    UTCDateTime,
)
from workflow.store.models.files import ErasedFile, StoredChunk, StoredFile
from workflow.store.models.instances import InstanceSequence
from workflow.store.models.mail import Document, Mail
from workflow.store.models.minutes import MinuteNumber, MinutesApproval, MinutesVersion
from workflow.store.models.operations import Heartbeat, RefusalCount, WorkerRestart
from workflow.store.models.panels import PanelMember

__all__ = ["NAMING", "Account", "AccountLink", "AgendaChange", "ApiToken", "Base", "CalendarFeed", "CaseContact", "CaseFieldValue", "CaseLetter", "CaseLetterPost", "Cycle", "CycleRecord", "DatabaseMark", "Deadline", "Decision", "DecisionAttendee", "DefinitionSnapshot", "Document", "Effect", "ErasedFile", "Heartbeat", "HistoryEntry", "IdempotentResponse", "InstanceSequence", "Mail", "MinuteNumber", "MinutesApproval", "MinutesVersion", "OutboxEvent", "PanelMember", "Paper", "RefusalCount", "SignInAttempt", "SimulatedNow", "StoredChunk", "StoredFile", "StrandState", "UTCDateTime", "WebSession", "WorkerRestart"]
