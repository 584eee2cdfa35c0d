"""The SQLite file checked before SQLite opens it: each problem an operator can make with the
path (a typo, a directory, a file in the way, a read-only file or directory) becomes one
DatabaseFileError whose message names the path and says what to do, instead of a traceback
from deep inside sqlite3 (or, for a typo, a new empty database).

A new database file is made here, owner-only (0600), before SQLite opens it: SQLite gives the
-wal and -shm files it makes beside it the database file's permissions. Files that already
exist keep theirs (`loose_permissions` names the ones others can read).

The file itself is never opened here: closing any descriptor of a database file drops every
POSIX lock this process's SQLite connections hold on it, which lets another process write
under them and corrupts the file. Whether it is a SQLite file at all is left to SQLite
(`not_a_database`)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

CREATE_HINT = "set REVIEWER_DB_CREATE=1 to create a new database there"
WHERE_SET = "REVIEWER_DB, --db or `db:` in the config file"
SIDE_FILES = ("-wal", "-shm")


class DatabaseFileError(Exception):
    """The database path cannot be used; the message names it and says what to do."""


def _user() -> str:
    uid = os.geteuid()
    try:
        import pwd

        return f"user {pwd.getpwuid(uid).pw_name}"
    except (ImportError, KeyError):
        return f"uid {uid}"


def _writable(path: Path) -> bool:
    mode = os.R_OK | os.W_OK | (os.X_OK if path.is_dir() else 0)
    return os.access(path, mode, effective_ids=os.access in os.supports_effective_ids)


def _read_only_fs(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _not_writable(path: Path, what: str) -> DatabaseFileError:
    if _read_only_fs(path):
        return DatabaseFileError(f"{what} {path} is on a read-only file system; "
                                 f"point {WHERE_SET} at a writable place")
    try:
        mode = f" (mode {stat.S_IMODE(path.stat().st_mode):04o})"
    except OSError:
        mode = ""
    return DatabaseFileError(f"{what} {path} is not writable by {_user()}{mode}; "
                             f"make it writable (chown, or chmod {'u+rwx' if path.is_dir() else 'u+rw'}) "
                             f"or run the reviewer as its owner")


def _file_in_the_way(path: Path) -> DatabaseFileError:
    for above in reversed(path.parents):
        if above.exists() and not above.is_dir():
            return DatabaseFileError(f"{above} is a file, not a directory, so {path} cannot be inside it; "
                                     f"choose another path ({WHERE_SET})")
    return DatabaseFileError(f"a part of {path} is not a directory; choose another path ({WHERE_SET})")


def _stat(path: Path) -> os.stat_result | None:
    """The path's stat, None when it does not exist; unreachable paths are DatabaseFileErrors."""
    try:
        return path.stat()
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise _file_in_the_way(path) from None
    except PermissionError:
        raise DatabaseFileError(f"cannot reach {path}: a directory above it is not searchable by {_user()}; "
                                f"fix its permissions or choose another path ({WHERE_SET})") from None
    except OSError as e:
        raise DatabaseFileError(f"cannot use {path}: {e.strerror}; choose another path ({WHERE_SET})") from None


def check_database_path(path: Path | str, create: bool) -> Path:
    """Make sure SQLite can open `path` for reading and writing, and create it (0600, with its
    directory) when it is missing and `create` is set; otherwise raise DatabaseFileError."""
    path = Path(path)
    directory = path.parent
    st = _stat(path)
    if st is None:
        dir_st = _stat(directory)
        if dir_st is not None and not stat.S_ISDIR(dir_st.st_mode):
            raise _file_in_the_way(path)
        if not create:
            missing = f"no database at {path}" + ("" if dir_st else f" (its directory {directory} does not exist either)")
            raise DatabaseFileError(f"{missing}; check the path ({WHERE_SET}), or {CREATE_HINT}")
        if dir_st is None:
            try:
                directory.mkdir(mode=0o700, parents=True)
            except FileExistsError:
                pass  # made meanwhile by another process
            except OSError as e:
                raise DatabaseFileError(f"cannot create directory {directory} for the database: {e.strerror} "
                                        f"({_user()}); create it yourself or choose another path ({WHERE_SET})") from None
        if not _writable(directory):
            raise _not_writable(directory, f"cannot create database {path}: its directory")
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass  # made meanwhile by another process: checked below like any existing file
        except OSError as e:
            raise DatabaseFileError(f"cannot create database {path}: {e.strerror}; choose another path ({WHERE_SET})") from None
        st = _stat(path)
        if st is None:
            raise DatabaseFileError(f"database {path} vanished as it was created; try again")
    if stat.S_ISDIR(st.st_mode):
        raise DatabaseFileError(f"{path} is a directory, not a database file; point {WHERE_SET} at a file, "
                                f"e.g. {path / 'reviewer.db'}")
    if not stat.S_ISREG(st.st_mode):
        raise DatabaseFileError(f"{path} is not a regular file; point {WHERE_SET} at a database file")
    if not _writable(path):
        raise _not_writable(path, "database")
    side = [Path(f"{path}{suffix}") for suffix in SIDE_FILES]
    for p in side:
        if p.exists() and not _writable(p):
            raise _not_writable(p, "database journal")
    if not all(p.exists() for p in side) and not _writable(directory):
        # SQLite makes the -wal and -shm files beside the database as it opens it.
        raise _not_writable(directory, f"database {path}: SQLite makes its -wal and -shm files beside it, "
                                       f"but the directory")
    return path


def not_a_database(path: Path | str) -> DatabaseFileError:
    return DatabaseFileError(f"{path} is not a SQLite database; check the path ({WHERE_SET})")


def loose_permissions(path: Path | str) -> list[tuple[Path, int]]:
    """The database file and its -wal / -shm files that users other than the owner may read or
    write, each with its mode."""
    found = []
    for p in [Path(path)] + [Path(f"{path}{suffix}") for suffix in SIDE_FILES]:
        try:
            mode = stat.S_IMODE(p.stat().st_mode)
        except OSError:
            continue
        if mode & 0o077:
            found.append((p, mode))
    return found
