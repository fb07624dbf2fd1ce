from .journal import (
    AccountKind,
    Cause,
    JournalEntry,
    JournalLine,
    LedgerAccount,
)

__all__ = ["AccountKind", "Cause", "JournalEntry", "JournalLine", "LedgerAccount"]
