"""Public API, kept for good: the audit log lives in jizhen.audit (hash chain, row MACs with a key
outside the database, signed checkpoints). ``grid.audit.record(session, actor=, action=, entity=,
entity_id=, before=, after=, reason=)`` keeps its signature."""
from jizhen.audit import (  # noqa: F401
    AUDIT_READERS,
    CHECKPOINT_ACTIONS,
    GENESIS,
    AnchorError,
    VerifyResult,
    _canonical,
    _iso,
    _lock_chain,
    entries_frame,
    entry_hash,
    record,
    verify,
)
from grid.models import AuditEntry  # noqa: F401,E402  (was importable from here)
from jizhen.access import Actor  # noqa: F401,E402
from jizhen.geotypes import utcnow  # noqa: F401,E402
