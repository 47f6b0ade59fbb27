//! The server's secret files and database files are for its own user only: the master key and the bearer tokens
//! must not be readable by group or others (the server refuses to start, saying how to fix it), and the SQLite
//! database with its WAL is created and kept at mode 0600, whatever the umask and however the data folder was made.

use std::path::Path;

/// A file the server cannot use as it is. The message says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// A secret file that group or others may read.
    #[error("the {what} in {path} can be read by other users (mode {mode:o}): run `chmod 600 {path}` and start again")]
    Readable { what: String, path: String, mode: u32 },
    /// The file's metadata cannot be read, or the file cannot be created or narrowed to 0600.
    #[error("cannot {doing} {path}: {source}")]
    Io {
        doing: &'static str,
        path: String,
        source: std::io::Error,
    },
}

/// Refuses a secret file that group or others may read: `what` names it in the message.
///
/// # Errors
/// [`FileError::Readable`] with the `chmod` to run.
#[cfg(unix)]
pub fn check_private(path: &Path, what: &str) -> Result<(), FileError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|source| FileError::Io {
            doing: "read",
            path: path.display().to_string(),
            source,
        })?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(FileError::Readable {
            what: what.to_string(),
            path: path.display().to_string(),
            mode: mode & 0o777,
        });
    }
    Ok(())
}

/// On other systems the folder's access rules apply.
#[cfg(not(unix))]
pub fn check_private(_path: &Path, _what: &str) -> Result<(), FileError> {
    Ok(())
}

/// Creates the SQLite database file at mode 0600 if it is missing (SQLite gives its -wal and -shm files the
/// database file's mode), and narrows an existing database, WAL and shared-memory file to 0600.
///
/// # Errors
/// [`FileError::Io`] when a file cannot be created or its mode set.
#[cfg(unix)]
pub fn private_database(db: &Path) -> Result<(), FileError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let fail = |p: &Path, source: std::io::Error| FileError::Io {
        doing: "make private",
        path: p.display().to_string(),
        source,
    };
    if !db.exists() {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(db)
            .map_err(|e| fail(db, e))?;
    }
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    let mut shm = db.as_os_str().to_owned();
    shm.push("-shm");
    for p in [db.to_path_buf(), wal.into(), shm.into()] {
        if let Ok(m) = std::fs::metadata(&p) {
            if m.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| fail(&p, e))?;
            }
        }
    }
    Ok(())
}

/// On other systems the folder's access rules apply.
#[cfg(not(unix))]
pub fn private_database(_db: &Path) -> Result<(), FileError> {
    Ok(())
}
