"""The one voice: how a pass's results, the daemon's news and every error read to a person and
to a script. The passes and the daemon produce data (PassReport, Stats, the typed results of
`vaultsync.results`, errors with fields); only this package turns them into words, so the CLI,
the daemon's log and `status` say the same thing the same way (tests/test_voice.py keeps
sentences from creeping back elsewhere).

One module per job: `pages` (one page's result: counts, rules, why it is listed), `reasons`
(why a page was skipped or failed), `summary` (the end-of-pass summary), `daemon` (the daemon's
log, activity and news), `status` (`status` and `log`), `shapes` (the `--json` shapes), `diff`,
`errors` (every error's words), `causes` (why the writer or the history store failed), `lease`
(who cleans a vault, and why `resync` leaves one alone) and `commands` (what the other commands
print).
This module re-exports what callers use.
"""

from vaultsync.render.causes import describe_size, state_folder_advice, strerror_words
from vaultsync.render.commands import (
    ambiguous_page,
    authors_lines,
    config_valid,
    config_written,
    daemon_of_another_user,
    daemon_state,
    demo_copied,
    demo_watching,
    explain_lines,
    history_lines,
    history_list,
    no_activity,
    no_config_file,
    not_held,
    not_in_a_vault,
    progress_count,
    progress_eta,
    progress_label,
    released,
    restored,
    service_installed,
    service_needs_config,
    service_start,
    service_stop_first,
    service_uninstalled,
    service_would_write,
    signalled,
    waiting_for_lock,
)
from vaultsync.render.daemon import (
    activity_entries,
    daemon_line,
    failure_line,
    log_lines,
    pass_line,
)
from vaultsync.render.diff import colour_diff, unified_diff, use_colour
from vaultsync.render.errors import (
    cli_error,
    error_detail,
    error_message,
    error_words,
    warning,
)
from vaultsync.render.lease import lease_holder, refused_here, who_cleans
from vaultsync.render.pages import (
    AUTHOR_VERB,
    describe,
    left_alone_words,
    page_rel,
    plural,
    reason_text,
    rel,
    stats_dict,
    unchanged_pages,
)
from vaultsync.render.reasons import error_beside, reason_words
from vaultsync.render.shapes import JSON_VERSION, passes_json, report_json
from vaultsync.render.status import describe_entry, local_time, status_lines
from vaultsync.render.summary import summary
from vaultsync.render.vaults import (
    control_character,
    filter_problem,
    kind_contradiction,
    setting_problem,
    settings_broken,
    undetected_kind,
    unsafe_vault,
    vault_refused,
    vault_state,
)

__all__ = [
    "control_character",
    "filter_problem",
    "kind_contradiction",
    "setting_problem",
    "settings_broken",
    "undetected_kind",
    "unsafe_vault",
    "vault_refused",
    "vault_state",
    "AUTHOR_VERB",
    "JSON_VERSION",
    "activity_entries",
    "ambiguous_page",
    "authors_lines",
    "cli_error",
    "describe_size",
    "colour_diff",
    "config_valid",
    "config_written",
    "daemon_line",
    "daemon_of_another_user",
    "daemon_state",
    "demo_copied",
    "demo_watching",
    "describe",
    "describe_entry",
    "error_beside",
    "error_detail",
    "error_message",
    "error_words",
    "explain_lines",
    "failure_line",
    "history_lines",
    "history_list",
    "lease_holder",
    "left_alone_words",
    "local_time",
    "log_lines",
    "no_activity",
    "no_config_file",
    "not_held",
    "not_in_a_vault",
    "page_rel",
    "pass_line",
    "passes_json",
    "plural",
    "progress_count",
    "progress_eta",
    "progress_label",
    "reason_text",
    "reason_words",
    "refused_here",
    "rel",
    "released",
    "report_json",
    "restored",
    "service_installed",
    "service_start",
    "service_stop_first",
    "service_needs_config",
    "service_uninstalled",
    "service_would_write",
    "signalled",
    "state_folder_advice",
    "strerror_words",
    "stats_dict",
    "status_lines",
    "summary",
    "unchanged_pages",
    "unified_diff",
    "use_colour",
    "waiting_for_lock",
    "warning",
    "who_cleans",
]
