"""Users of the product: accounts and roles (model), passwords (passwords), login and its
throttling (login), server-side login sessions (sessions), administration (admin) and the demo
logins (demo). grid.users and grid.user_sessions re-export these names for old imports."""
from jizhen.users.admin import (  # noqa: F401
    add_user, disable_user, find_worker_id, linked_worker_id, set_password, set_role, set_worker,
    unlock_user,
)
from jizhen.users.demo import DEMO_USERS, demo_credentials, demo_step, random_password  # noqa: F401
from jizhen.users.login import (  # noqa: F401
    ACCOUNT_LOCKOUT, ACCOUNT_MAX_FAILED, ACCOUNT_WINDOW, BAD_CREDENTIALS, LOCKOUT, LOGIN_HINT,
    MAX_FAILED_ATTEMPTS, AuthResult, active_actor, authenticate, clear_throttle, login,
)
from jizhen.users.model import (  # noqa: F401
    GRID_ROLES, HUMAN_ROLES, ROLE_LABELS, USERNAME_RE, LoginThrottle, User, UserError, actor_for,
    get_user, list_users,
)
from jizhen.users.passwords import (  # noqa: F401
    MIN_PASSWORD_LENGTH, MIN_PASSWORD_SCORE, check_password, hash_password, password_strength,
    validate_password,
)
from jizhen.users.sessions import (  # noqa: F401
    UserSession, open_session, resume_session, revoke_session, revoke_user_sessions, token_hash,
)
