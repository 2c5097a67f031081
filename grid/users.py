"""Old import path, kept until the lead removes it: users live in jizhen.users (model, passwords,
login, admin, demo, sessions). Import from there in new code."""
from jizhen.users import (  # noqa: F401
    ACCOUNT_LOCKOUT, ACCOUNT_MAX_FAILED, ACCOUNT_WINDOW, BAD_CREDENTIALS, DEMO_USERS, GRID_ROLES,
    HUMAN_ROLES, LOCKOUT, LOGIN_HINT, MAX_FAILED_ATTEMPTS, MIN_PASSWORD_LENGTH, MIN_PASSWORD_SCORE,
    ROLE_LABELS, USERNAME_RE, AuthResult, LoginThrottle, User, UserError, active_actor, actor_for,
    add_user, authenticate, check_password, demo_credentials, demo_step, disable_user,
    find_worker_id, get_user, hash_password, linked_worker_id, list_users, login, password_strength,
    random_password, set_password, set_role, set_worker, unlock_user, validate_password,
)
