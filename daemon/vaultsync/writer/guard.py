"""Where writes may go: `VaultGuard`, the one place that decides whether a path may be written
(inside a configured vault, through no symbolic link out, with a name every filesystem takes)."""

from __future__ import annotations

import errno
import os
import stat
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from vaultsync.errors import Unsafe, UnsafePathError

MAX_NAME_BYTES = 255


def _name_problem(name: str) -> Unsafe | None:
    """Why a single file or folder name may not be written, or None when it is fine."""
    if name == "":
        return Unsafe.EMPTY_NAME
    if name in (".", ".."):
        return Unsafe.NOT_A_NAME
    # isprintable() is False for every control character (NUL included): only such names, a
    # small minority, need the character-by-character look.
    if not name.isprintable():
        if "\x00" in name:
            return Unsafe.NAME_NUL
        if any(unicodedata.category(ch) == "Cc" for ch in name):
            return Unsafe.NAME_CONTROL
    size = len(name) if name.isascii() else len(os.fsencode(name))
    if size > MAX_NAME_BYTES:
        return Unsafe.NAME_TOO_LONG
    return None


class VaultGuard:
    """The one place that decides whether a path may be written: inside a vault, no links out."""

    def __init__(self, roots: Iterable[Path]) -> None:
        self.roots: tuple[Path, ...] = tuple(Path(os.path.realpath(r)) for r in roots)
        # (root, root + "/") as strings, for _proven_folder's prefix test
        self._prefixes: tuple[tuple[str, str], ...] = tuple(
            (str(root), str(root) if str(root).endswith("/") else f"{root}/") for root in self.roots
        )

    def _inside(self, real: Path) -> bool:
        return self.root_of(real) is not None

    def root_of(self, real: Path) -> Path | None:
        """The vault root that `real` (a real path) lies in, compared component by component
        (so /x/vault-evil is not inside /x/vault), or None."""
        for root in self.roots:
            if real == root or real.is_relative_to(root):
                return root
        return None

    def _proven_folder(self, folder: str) -> bool:
        """True when `folder` is, right now, a folder inside a vault reached through no symbolic
        link at all: then it is its own real path, and _resolve_folder would return it unchanged.

        This is the case of nearly every write (vault roots are real paths and pages are found
        by walking them), and it is proven here with one lstat per path component, the same
        system calls realpath makes, without realpath's Python overhead (the full check was
        about 7 % of a cold pass). Every component from "/" down is looked at: a component that
        is a folder per lstat is not a link, so the kernel resolves `folder` through exactly
        these folders to a place inside the vault. Nothing is remembered between calls, so no
        stale answer can ever be trusted: a folder swapped for a link (or moved out of the vault
        and replaced by a link to where it went) since the last write is seen by this lstat.
        False means "not proven here" (a link, a missing folder, a relative or odd path, an
        ancestor of the root turned into a link, another platform): _resolve_folder decides,
        and explains a refusal.
        """
        if os.sep != "/":
            return False
        for root, prefix in self._prefixes:
            if folder == root or folder.startswith(prefix):
                break
        else:
            return False
        parts = folder.split("/")
        if parts[0] != "":
            return False  # relative
        current = ""
        for part in parts[1:]:
            if part in ("", ".", ".."):
                return False  # not normalized: realpath's answer would differ from `folder`
            current += "/" + part
            try:
                mode = os.lstat(current).st_mode
            except OSError:
                return False
            if not stat.S_ISDIR(mode):
                return False
        return True

    def _resolve_folder(self, path: Path, folder: Path) -> Path:
        try:
            real = folder.resolve(strict=True)
        except FileNotFoundError:
            raise UnsafePathError(path, Unsafe.NO_FOLDER, folder) from None
        except NotADirectoryError:
            raise UnsafePathError(path, Unsafe.PART_IS_FILE, folder) from None
        except PermissionError:
            raise UnsafePathError(path, Unsafe.NO_LOOK, folder) from None
        except RuntimeError:  # Python < 3.13 reports symlink loops this way
            raise UnsafePathError(path, Unsafe.LINK_LOOP, folder) from None
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise UnsafePathError(path, Unsafe.LINK_LOOP, folder) from None
            raise UnsafePathError(path, Unsafe.NOT_LOOKED_INTO, folder, error=err) from None
        if not real.is_dir():
            raise UnsafePathError(path, Unsafe.NOT_A_FOLDER, folder)
        if not self._inside(real):
            if str(real) == os.path.normpath(folder.absolute()):
                raise UnsafePathError(path, Unsafe.OUTSIDE)
            raise UnsafePathError(path, Unsafe.LINK_OUT, folder, real=real)
        return real

    def check(self, path: Path) -> Path:
        """Return the real path to write to, or raise UnsafePathError saying why not."""
        if not isinstance(path, Path):
            path = Path(path)
        text = str(path)
        if "\x00" in text:
            raise UnsafePathError(path, Unsafe.NUL)
        name = path.name  # "" for "/" and for "" (which Path spells ".")
        problem = _name_problem(name)
        if problem:
            raise UnsafePathError(path, problem, limit=MAX_NAME_BYTES)
        if not self.roots:
            raise UnsafePathError(path, Unsafe.NO_VAULT)
        if self._proven_folder(os.path.dirname(text)):
            real = path  # its folder is its own real path, so the path is too
        else:
            real = self._resolve_folder(path, path.parent) / name
        try:
            st = os.lstat(real)
        except FileNotFoundError:
            return real
        except OSError as err:
            raise UnsafePathError(path, Unsafe.NOT_INSPECTED, error=err) from None
        if stat.S_ISLNK(st.st_mode):
            raise UnsafePathError(path, Unsafe.IS_LINK)
        return real

    def check_folder(self, folder: Path) -> Path:
        """Return the real path of an existing folder if it lies inside a vault."""
        if not isinstance(folder, Path):
            folder = Path(folder)
        if not self.roots:
            raise UnsafePathError(folder, Unsafe.NO_VAULT)
        if self._proven_folder(str(folder)):
            return folder
        return self._resolve_folder(folder, folder)
