"""Old import path, kept until the lead removes it: login sessions live in jizhen.users.sessions."""
from jizhen.users.sessions import (  # noqa: F401
    UserSession, open_session, resume_session, revoke_session, revoke_user_sessions, token_hash,
)
