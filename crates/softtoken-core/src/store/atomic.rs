//! Crash-safe file replacement: write a temporary file beside the target, flush it to disk, rename it over the
//! target, then flush the directory. A reader sees the old file or the new one, never a mix; a failure at any
//! step leaves the old file as it was.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Replaces `path` with `bytes` atomically. The file is created readable by its owner only.
///
/// # Errors
/// [`Error::Io`] naming the step that failed; the previous file is untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // tempfile creates the file with mode 0600 on Unix.
    let mut tmp = tempfile::Builder::new()
        .prefix(".softtoken-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io("cannot create a temporary file in", dir, e))?;
    tmp.write_all(bytes)
        .map_err(|e| Error::io("cannot write", tmp.path(), e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io("cannot flush", tmp.path(), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io("cannot replace", path, e.error))?;
    sync_dir(dir);
    Ok(())
}

/// Flushes the directory entry of the rename. Best effort: some filesystems refuse to open directories.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// An exclusive lock on the file `<path>.lock` beside a store file, held until dropped. The app and the CLI may
/// change the same store at the same time; each change is a read-modify-write of the store's file (the vault or
/// the keychain index), and without the lock one process's change could overwrite the other's. Advisory: only
/// softtoken takes it. The lock file stays (empty); the OS releases the lock when the process ends.
#[derive(Debug)]
pub struct StoreLock {
    _file: std::fs::File,
}

/// Waits for and takes the lock of the store file `path` (see [`StoreLock`]).
///
/// # Errors
/// [`Error::Io`] if the lock file cannot be created or locked.
pub fn lock_store(path: &Path) -> Result<StoreLock> {
    ensure_parent(path)?;
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    let lock_path = path.with_file_name(name);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|e| Error::io("cannot open the lock file", &lock_path, e))?;
    file.lock().map_err(|e| Error::io("cannot lock", &lock_path, e))?;
    Ok(StoreLock { _file: file })
}

/// The largest vault file read: 10,000 tokens take about 5 MiB.
pub const MAX_VAULT_BYTES: u64 = 16 * 1024 * 1024;
/// The largest keychain-store index read.
pub const MAX_INDEX_BYTES: u64 = 8 * 1024 * 1024;

/// Reads `path` (a `what` of at most `limit` bytes), or `None` if it does not exist. The size is checked before
/// the file is read, and the read stops at the limit should the file grow meanwhile.
///
/// # Errors
/// [`Error::FileTooLarge`] over the limit, [`Error::Io`] for any other failure.
pub fn read_if_exists(path: &Path, what: &'static str, limit: u64) -> Result<Option<Vec<u8>>> {
    use std::io::Read;
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("cannot read", path, e)),
    };
    let too_large = |size: u64| Error::FileTooLarge {
        path: path.to_path_buf(),
        what,
        size,
        limit,
    };
    let size = file
        .metadata()
        .map_err(|e| Error::io("cannot read", path, e))?
        .len();
    if size > limit {
        return Err(too_large(size));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io("cannot read", path, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(Some(bytes))
}

/// Creates the parent folder of `path` if needed (mode 0700 on Unix).
///
/// # Errors
/// [`Error::Io`] when it cannot be created.
pub fn ensure_parent(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            b.create(dir)
                .map_err(|e| Error::io("cannot create folder", dir, e))?;
        }
    }
    Ok(())
}
