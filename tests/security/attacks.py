"""The attack table of issue 10: each finding of the security review and the tests that replay it as
an attack and expect it to fail. tests/conftest.py marks the listed tests `attack(<finding>)` and
prints the table (tried / held per finding) at the end of a run; test_attack_table.py checks that
every entry still names a collected test, so the table cannot rot.

A pattern is a test file, or a file::test-name prefix (parametrized variants included).
"""
from __future__ import annotations

FINDINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "1": ("地图存储型脚本 / 页面脚本可读登录令牌 (stored script in the map, readable session token)", (
        "tests/security/test_attacks_map.py",
        "tests/ui/test_gateway.py::test_session_cookie_flags",
        "tests/ui/test_gateway.py::test_login_sets_an_httponly_cookie_that_opens_everything_until_logout",
        "tests/ui/test_gateway.py::test_login_page_is_chinese_first_and_escapes_what_was_typed",
        "tests/ui/test_gateway.py::test_a_made_up_token_logs_nobody_in",
        "tests/ui/test_gateway.py::test_app_without_a_session_only_points_to_the_login_page",
        "tests/ui/test_gateway.py::test_app_resumes_a_real_session_and_drops_it_when_revoked",
        "tests/security/test_gateway_sessions.py",
    )),
    "2": ("并发登录绕过锁定 (lockout bypassed by parallel attempts)", (
        "tests/security/test_attacks_login.py::test_ten_parallel_attempts_nine_wrong_end_locked",
        "tests/security/test_attacks_login.py::test_twenty_parallel_guesses_are_not_all_checked",
        "tests/security/test_attacks_login.py::test_lock_after_five_failures_then_expires",
        "tests/security/test_attacks_login.py::test_a_right_password_resets_the_consecutive_failures",
    )),
    "3": ("倒签与未来日期的决定和支付 (backdated and future decisions)", (
        "tests/security/test_attacks_services.py::test_decisions_cannot_be_backdated_or_future_dated",
        "tests/security/test_attacks_services.py::test_late_entry_needs_a_reason_is_marked_and_audited",
        "tests/security/test_attacks_services.py::test_a_request_cannot_be_received_in_the_future",
    )),
    "4": ("审计链截断或重算 (audit chain truncated or recomputed; silent restore)", (
        "tests/security/test_attacks_audit.py",
    )),
    "5": ("跨网格探测与写入 (probing and writing across grids)", (
        "tests/security/test_attacks_services.py::test_intake_by_id_reveals_nothing_about_other_grids",
        "tests/security/test_attacks_services.py::test_matching_is_scoped",
        "tests/security/test_attacks_services.py::test_case_lookup_cannot_be_probed_by_id",
        "tests/security/test_attacks_spotcheck.py::test_unknown_referral_is_refused_like_one_outside_the_grid",
    )),
    "6": ("导出覆盖数据库 (an export that replaces the database)", (
        "tests/security/test_attacks_outputs.py::test_disclosure_over_the_live_database_is_refused",
        "tests/security/test_attacks_outputs.py::test_disclosure_over_a_backup_is_refused_even_with_force",
        "tests/security/test_attacks_outputs.py::test_other_files_need_force_and_same_kind_is_replaced",
        "tests/security/test_attacks_outputs.py::test_a_directory_is_not_an_output",
        "tests/security/test_attacks_outputs.py::test_a_failed_write_leaves_the_old_file_and_no_temp_files",
    )),
    "7": ("未登录可下载 (downloads served without login)", (
        "tests/ui/test_gateway.py::test_download_needs_the_session_that_made_it",
        "tests/ui/test_gateway.py::test_media_ids_and_their_owners",
        "tests/security/test_matrix_downloads.py",
    )),
    "8": ("服务函数弱于页面 (services weaker than the pages)", (
        "tests/security/test_attacks_services.py::test_amounts_are_validated_by_every_entry_point",
        "tests/security/test_attacks_services.py::test_donations_and_allocation_check_their_own_permission_and_amount",
        "tests/security/test_attacks_services.py::test_spot_check_results_only_by_officers_within_scope",
        "tests/security/test_attacks_services.py::test_admission_cannot_skip_the_checklist_by_a_bare_transition",
        "tests/security/test_matrix_actions.py",
        "tests/security/test_attacks_spotcheck.py::test_grid_roles_cannot_record_a_spot_check_result",
        "tests/security/test_attacks_spotcheck.py::test_officer_outside_the_grid_is_refused_and_inside_it_records",
        "tests/security/test_attacks_spotcheck.py::test_medical_referral_amounts_are_validated",
        "tests/security/test_matrix_api.py",
    )),
    "H": ("加固项 (hardening: headers, metrics, file modes, passwords, enumeration, user text, "
          "import limits, bad paths, signals)", (
        "tests/ui/test_gateway.py::test_without_a_session_only_the_login_page_and_health_answer",
        "tests/ui/test_gateway.py::test_the_login_form_refuses_forged_and_wrong_posts_uniformly",
        "tests/ui/test_gateway.py::test_safe_next_stays_on_this_site",
        "tests/ui/test_gateway.py::test_paths_are_judged_normalized",
        "tests/ui/test_gateway.py::test_same_origin",
        "tests/ui/test_gateway.py::test_csp_names_the_tile_host_only_when_tiles_are_configured",
        "tests/security/test_attacks_outputs.py::test_unwritable_paths_give_a_chinese_error",
        "tests/security/test_attacks_outputs.py::test_live_database_files_are_owner_only",
        "tests/security/test_attacks_login.py::test_a_guesser_locks_only_their_own_client",
        "tests/security/test_attacks_login.py::test_account_lock_needs_many_clients_and_a_new_password_lifts_it",
        "tests/security/test_attacks_login.py::test_one_client_cannot_reach_the_account_lock",
        "tests/security/test_attacks_login.py::test_unknown_usernames_look_like_wrong_passwords",
        "tests/security/test_attacks_login.py::test_disabled_account_is_refused_only_after_the_right_password",
        "tests/security/test_attacks_login.py::test_cli_",
        "tests/security/test_passwords.py",
        "tests/security/test_attacks_user_text.py",
        "tests/security/test_dashboard_shutdown.py",
        "tests/integration/test_imports_households.py::test_a_file_full_of_errors_stops_after_the_maximum",
        "tests/integration/test_imports_stream_db.py",
        "tests/unit/test_imports_stream.py::test_problem_cap_stops_reading_the_file",
    )),
}


def finding_of(nodeid: str) -> str | None:
    """The finding a test node replays (the first entry whose pattern matches), else None."""
    path, _, name = nodeid.partition("::")
    for finding, (_title, patterns) in FINDINGS.items():
        for pattern in patterns:
            p_path, _, p_name = pattern.partition("::")
            if path == p_path and name.startswith(p_name):
                return finding
    return None
