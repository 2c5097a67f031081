"""Case services: apply cases.rules inside a database session, with scope checks and audit.

Every function takes ``*, session, actor``; every write calls ``grid.audit.record``. The caller owns
the transaction (``grid.db.session_scope``). Domain problems raise ``cases.rules.DomainError``
(Chinese + English message); scope problems raise ``grid.access.AccessDenied``.

The code lives in one module per part of the workflow; this module re-exports their public names so
``from cases import services as svc`` keeps working:

- ``cases.intake``     intake from every channel, registry matching, the credit blacklist
- ``cases.workflow``   named transitions and the payments they make
- ``cases.referrals``  referral (转诊) and admission (住院)
- ``cases.oversight``  monthly disclosure and spot checks
- ``cases.funds``      reserves, donations, spending, year-end settlement
- ``cases.queries``    case rows, lists, the map layer, case detail, the household file
- ``cases.common``     helpers shared by the above
"""
from __future__ import annotations

from cases.common import fen, get_case, yuan
from cases.funds import allocate_year, fund_summary, record_donation, settle_year
from cases.intake import (add_to_blacklist, blacklist_entry, blacklist_rows, correct_person_id,
                          intake, locate_grid, match_case, match_household)
from cases.oversight import (COMPLAINT_PHONE, DISCLOSURE_HEADERS, disclosure_frame,
                             disclosure_history, disclosure_rows, draw_spot_checks,
                             export_disclosure, record_disclosure, record_spot_check,
                             set_public_note, spot_check_rows)
from cases.queries import (VISIT_FLAG_LABELS, case_deadline, case_detail, case_row, deadline_facts,
                           household_timeline, list_cases, pending_cases_frame)
from cases.referrals import (DEFAULT_DIBAO_YUAN, STANDARDS_TOML, admit, dibao_standard, refer,
                             update_referral)
from cases.workflow import transition

__all__ = [
    "COMPLAINT_PHONE", "DEFAULT_DIBAO_YUAN", "DISCLOSURE_HEADERS", "STANDARDS_TOML",
    "VISIT_FLAG_LABELS", "add_to_blacklist", "admit", "allocate_year", "blacklist_entry",
    "blacklist_rows", "case_detail", "correct_person_id", "case_row", "disclosure_frame", "disclosure_history",
    "disclosure_rows", "dibao_standard", "draw_spot_checks", "export_disclosure", "fen",
    "fund_summary", "get_case", "household_timeline", "intake", "list_cases", "locate_grid",
    "match_case", "match_household", "pending_cases_frame", "record_disclosure",
    "record_donation", "record_spot_check", "refer", "settle_year", "spot_check_rows",
    "case_deadline", "deadline_facts", "set_public_note",
    "transition", "update_referral", "yuan",
]
