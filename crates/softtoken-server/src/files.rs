//! The server's secret files and database files are for its own user only: the master key and the bearer tokens
//! must not be readable by group or others (the server refuses to start, saying how to fix it), and the SQLite
//! database with its WAL is created and kept at mode 0600, whatever the umask and however the data folder was made.

use std::path::Path;

use crate::error::ApiError;

/// Refuses a secret file that group or others may read: `what` names it in the message.
///
/// # Errors
/// [`ApiError::Internal`] with the `chmod` to run.
#[cfg(unix)]
pub fn check_private(path: &Path, what: &str) -> Result<(), ApiError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| ApiError::Internal(format!("cannot read {}: {e}", path.display())))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(ApiError::Internal(format!(
            "the {what} in {} can be read by other users (mode {:o}): run `chmod 600 {}` and start again",
            path.display(),
            mode & 0o777,
            path.display()
        )));
    }
    Ok(())
}

/// On other systems the folder's access rules apply.
#[cfg(not(unix))]
pub fn check_private(_path: &Path, _what: &str) -> Result<(), ApiError> {
    Ok(())
}

/// Creates the SQLite database file at mode 0600 if it is missing (SQLite gives its -wal and -shm files the
/// database file's mode), and narrows an existing database, WAL and shared-memory file to 0600.
///
/// # Errors
/// [`ApiError::Internal`] when a file cannot be created or its mode set.
#[cfg(unix)]
pub fn private_database(db: &Path) -> Result<(), ApiError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let fail =
        |p: &Path, e: std::io::Error| ApiError::Internal(format!("cannot make {} private: {e}", p.display()));
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
pub fn private_database(_db: &Path) -> Result<(), ApiError> {
    Ok(())
}
