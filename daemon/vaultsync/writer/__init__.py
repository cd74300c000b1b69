"""The one writer: every file operation vaultsync makes, on a vault and on its own files.

The write protocol (see the guide on watching and writing): write only when the bytes change,
never over a change made since the page was read, always through a temp file in the same folder
that is fsynced and renamed onto the page.

The modules, each importing only those above it:

- guard.py: `VaultGuard`, the one place that decides whether a path may be written;
- folders.py: a write's folder held open from the vault root, no link followed (`open_folder`,
  `Folder`), folders made inside a vault (`ensure_folder`);
- read.py: `read_page` and the `Snapshot` a write re-checks;
- stage.py: temp files beside a page (`stage_temp`, shared by both ways of writing) and the
  checks that the page is still as read;
- atomic.py: `write_atomic`, one page at a time, with its last re-check before the rename;
- barrier.py, batch.py: `WriteBatch`, many pages made durable with one barrier;
- remove.py: every deletion (`remove_page`, leftover temp files, vaultsync's own files);
- private.py: vaultsync's own files and folders outside any vault (state folder, history,
  config, service units, lock and pid files, the activity log).

Callers import from `vaultsync.writer`; the names below are its public face. A test that
replaces one of the writer's globals patches the module that reads it (for instance
`vaultsync.writer.folders.DIR_FD_SUPPORTED`): the names here are only copies.
"""

from vaultsync.writer.atomic import write_atomic
from vaultsync.writer.barrier import per_file_fsync
from vaultsync.writer.batch import (
    BATCH_MAX_BYTES,
    BATCH_MAX_FILES,
    BATCH_MAX_FOLDERS,
    BATCH_MIN,
    Done,
    WriteBatch,
    batch_threshold,
)
from vaultsync.writer.folders import DIR_FD_SUPPORTED, Folder, ensure_folder, open_folder
from vaultsync.writer.guard import MAX_NAME_BYTES, VaultGuard
from vaultsync.writer.private import (
    append_private_file,
    copy_folder,
    create_private_file,
    ensure_private_dir,
    make_folders,
    make_private_dirs,
    make_private_folder,
    move_private_file,
    open_private_file,
    rewrite_private_file,
    touch_private_file,
    write_private_file,
)
from vaultsync.writer.read import MAX_PAGE_BYTES, READ_ATTEMPTS, Snapshot, read_page
from vaultsync.writer.remove import (
    SKIPPED_FOLDERS,
    cleanup_temp_files,
    remove_page,
    remove_private_file,
    remove_private_folder,
    remove_private_tree,
    remove_temp_file,
)
from vaultsync.writer.stage import TEMP_GLOB, TEMP_PATTERN, copy_xattrs, is_temp_file

__all__ = [
    "BATCH_MAX_BYTES",
    "BATCH_MAX_FILES",
    "BATCH_MAX_FOLDERS",
    "BATCH_MIN",
    "DIR_FD_SUPPORTED",
    "MAX_NAME_BYTES",
    "MAX_PAGE_BYTES",
    "READ_ATTEMPTS",
    "SKIPPED_FOLDERS",
    "TEMP_GLOB",
    "TEMP_PATTERN",
    "Done",
    "Folder",
    "Snapshot",
    "VaultGuard",
    "WriteBatch",
    "append_private_file",
    "batch_threshold",
    "cleanup_temp_files",
    "copy_folder",
    "copy_xattrs",
    "create_private_file",
    "ensure_folder",
    "ensure_private_dir",
    "is_temp_file",
    "make_folders",
    "make_private_dirs",
    "make_private_folder",
    "move_private_file",
    "open_folder",
    "open_private_file",
    "per_file_fsync",
    "read_page",
    "remove_page",
    "remove_private_file",
    "remove_private_folder",
    "remove_private_tree",
    "remove_temp_file",
    "rewrite_private_file",
    "touch_private_file",
    "write_atomic",
    "write_private_file",
]
