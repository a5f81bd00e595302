"""Cache files that are pickles authenticated with a per-install key (HMAC-SHA256).

The sample operation and the baseline plans are kept in ``var/cache`` as pickles (a safe
format for an ``Operation`` or a ``PipelineResult`` would mean a serialiser per type).
Unpickling a file is running its code, so a file is only unpickled after its HMAC checks
out against a secret key that never leaves ``var/``: whoever can write ``var/cache`` but
cannot read the key cannot make the app run anything.  A file that fails the check is
refused (``CacheRefused``) and the caller recomputes it.

File layout: ``MAGIC`` (8 bytes), the HMAC-SHA256 of the rest (32 bytes), the pickle.

The key: ``var/cache.key`` (``WFM_CACHE_KEY_FILE`` overrides), 32 random bytes, created on
first use with mode 0600 (``O_CREAT | O_EXCL``, so two processes never write two keys).  A
key file that is not the user's own or that others may read or write is refused too, and
nothing is cached until it is fixed.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import secrets
import stat
import tempfile
from pathlib import Path

MAGIC = b"WFMHMAC1"
_DIGEST = 32
_KEY_BYTES = 32


class CacheRefused(Exception):
    """The file is missing, damaged, not ours (bad or missing HMAC), or the key is unsafe."""


def key_path() -> Path:
    default = Path(__file__).resolve().parents[1] / "var" / "cache.key"
    return Path(os.environ.get("WFM_CACHE_KEY_FILE", default))


def _key() -> bytes:
    path = key_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(_KEY_BYTES))
    info = path.lstat()
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        raise CacheRefused(f"{path} must be a regular file of this user with mode 0600")
    key = path.read_bytes()
    if len(key) < _KEY_BYTES:
        raise CacheRefused(f"{path} is too short to be a key (being written?)")
    return key


def dump(obj, path: Path) -> None:
    """Pickle ``obj`` to ``path`` with its HMAC, atomically (a reader never sees half a file)."""
    body = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    tag = hmac.new(_key(), body, hashlib.sha256).digest()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem + "-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(MAGIC + tag)
            fh.write(body)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: Path):
    """The object in ``path``, unpickled only when its HMAC is right, else ``CacheRefused``."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CacheRefused(f"{path}: {exc}") from exc
    head, tag, body = data[:len(MAGIC)], data[len(MAGIC):len(MAGIC) + _DIGEST], data[len(MAGIC) + _DIGEST:]
    if head != MAGIC:
        raise CacheRefused(f"{path} is not an authenticated cache file")
    if not hmac.compare_digest(tag, hmac.new(_key(), body, hashlib.sha256).digest()):
        raise CacheRefused(f"{path} does not carry this installation's signature")
    try:
        return pickle.loads(body)
    except Exception as exc:  # signed by us but unreadable (e.g. a class that changed)
        raise CacheRefused(f"{path}: {type(exc).__name__}: {exc}") from exc
