//! Whether a password is one of the commonly used ones (OWASP ASVS 5.0
//! §6.2.4). The list is the common-password table of the `passwords` crate
//! (MIT, about 100,000 entries, kept by its maintainer on crates.io and
//! pinned with its checksum in Cargo.lock), so no third-party data lives in
//! this repository.
//!
//! The list is not compiled in: as data of the auth component it was 1.6 MB
//! that Spin sets up again for every request, register or not. The build
//! script (`build.rs`) writes it as a file laid out for lookups
//! ([`table`]); the component mounts that file (spin.toml `files`), and a
//! check reads one record of it (open, seek, read). A table that cannot be
//! read, or is not laid out as this build expects, checks nothing: the
//! check is an error, never an answer.

// `build` and `FILE_NAME` are for the build script, which includes it too.
#[allow(dead_code)]
mod table;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Where the table is: in the component, where spin.toml mounts it; in
/// native builds (the tests), where the build script wrote it.
#[cfg(target_os = "wasi")]
const MOUNTED: &str = "/common-passwords.bin";
#[cfg(not(target_os = "wasi"))]
const MOUNTED: &str = env!("COMMON_PASSWORDS_TABLE");

/// The common-password table file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommonPasswords {
    path: PathBuf,
}

/// The table could not be read, so no password can be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the common-password table {path} cannot be read: {reason}")]
pub struct TableUnavailable {
    path: String,
    reason: String,
}

impl CommonPasswords {
    /// The table where the component has it mounted (in native builds:
    /// where the build script wrote it).
    pub fn mounted() -> Self {
        Self::at(MOUNTED)
    }

    /// The table in the file at `path`.
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Matches the password as given and lower-cased: `Password` and
    /// `PASSWORD` are as guessable as `password`.
    pub fn lists(&self, password: &str) -> Result<bool, TableUnavailable> {
        let unavailable = |reason: String| TableUnavailable {
            path: self.path.display().to_string(),
            reason,
        };
        let mut file = File::open(&self.path).map_err(|error| unavailable(error.to_string()))?;
        let mut listed = |candidate: &str| -> Result<bool, TableUnavailable> {
            let bucket = table::bucket_of(candidate.as_bytes());
            let mut record = [0; table::BUCKET_BYTES];
            file.seek(SeekFrom::Start(table::offset_of(bucket)))
                .and_then(|_| file.read_exact(&mut record))
                .map_err(|error| unavailable(error.to_string()))?;
            table::record_lists(&record, bucket, candidate.as_bytes()).map_err(unavailable)
        };
        if listed(password)? {
            return Ok(true);
        }
        let lower = password.to_lowercase();
        Ok(lower != password && listed(&lower)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_common(password: &str) -> bool {
        CommonPasswords::mounted().lists(password).unwrap()
    }

    #[test]
    fn the_best_known_passwords_are_common() {
        for password in [
            "password",
            "123456789",
            "12345678",
            "qwertyuiop",
            "iloveyou",
            "password1",
            "1q2w3e4r",
            "sunshine",
            "football",
            "baseball",
            "trustno1",
            "letmein1",
        ] {
            assert!(is_common(password), "{password}");
        }
    }

    #[test]
    fn case_does_not_make_a_common_password_safe() {
        assert!(is_common("PASSWORD"));
        assert!(is_common("Sunshine"));
    }

    #[test]
    fn unusual_passwords_are_not_common() {
        assert!(!is_common("correct horse battery staple"));
        assert!(!is_common("vq9-Lx3!tRz7"));
    }

    #[test]
    fn the_list_is_large_enough() {
        // ASVS asks for at least the top 3000; sample entries from deep in
        // a ranked list to show this one goes well beyond that.
        let deep = [
            "nokia5610",
            "pikachu",
            "blink182",
            "gangster",
            "sabbath",
            "zxcv1234",
        ];
        assert!(deep.iter().all(|p| is_common(p)), "{deep:?}");
    }

    #[test]
    fn the_table_is_the_passwords_crate_list() {
        let file = std::fs::read(MOUNTED).unwrap();
        assert_eq!(file.len(), table::BUCKETS as usize * table::BUCKET_BYTES);
        let entries: Vec<&str> = file
            .chunks(table::BUCKET_BYTES)
            .flat_map(|record| {
                let body = &record[8..];
                let end = body.iter().position(|&b| b == 0).unwrap_or(body.len());
                body[..end].split(|&b| b == b'\n').filter(|p| !p.is_empty())
            })
            .map(|entry| std::str::from_utf8(entry).unwrap())
            .collect();
        assert!(entries.len() > 99_000, "{}", entries.len());
        // The crate's own check, on a sample spread over the whole table
        // (without optimisations it scans the list on every call).
        for entry in entries.iter().step_by(997) {
            assert!(passwords::analyzer::is_common_password(entry), "{entry}");
            assert!(is_common(entry), "{entry}");
        }
        for unlisted in ["correct horse battery staple", "vq9-Lx3!tRz7"] {
            assert!(!passwords::analyzer::is_common_password(unlisted));
        }
    }

    #[test]
    fn a_record_out_of_place_is_an_error_not_an_answer() {
        let file = std::fs::read(MOUNTED).unwrap();
        let bucket = table::bucket_of(b"password");
        let start = usize::try_from(table::offset_of(bucket)).unwrap();
        let record = &file[start..start + table::BUCKET_BYTES];
        assert_eq!(table::record_lists(record, bucket, b"password"), Ok(true));
        assert!(table::record_lists(record, bucket + 1, b"password").is_err());
        assert!(table::record_lists(&[0; 16], 0, b"password").is_err());
    }

    #[test]
    fn a_missing_table_checks_nothing() {
        let dir = std::env::temp_dir().join(format!("no-table-{}", std::process::id()));
        let missing = CommonPasswords::at(dir.join("common-passwords.bin"));
        for password in ["password", "vq9-Lx3!tRz7"] {
            let error = missing.lists(password).unwrap_err();
            assert!(
                error
                    .to_string()
                    .contains("common-passwords.bin cannot be read"),
                "{error}"
            );
        }
    }

    #[test]
    fn a_foreign_or_short_table_checks_nothing() {
        let dir = std::env::temp_dir().join(format!("foreign-table-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // The right size, but not the layout: every record fails its header.
        let foreign = dir.join("zeros.bin");
        std::fs::write(
            &foreign,
            vec![0; table::BUCKETS as usize * table::BUCKET_BYTES],
        )
        .unwrap();
        // The right layout, cut short: the last records are missing.
        let table = std::fs::read(MOUNTED).unwrap();
        let short = dir.join("short.bin");
        std::fs::write(&short, &table[..table::BUCKET_BYTES]).unwrap();
        assert!(
            ["password", "vq9-Lx3!tRz7"]
                .iter()
                .all(|p| table::bucket_of(p.as_bytes()) > 0)
        );
        for path in [&foreign, &short] {
            let list = CommonPasswords::at(path);
            for password in ["password", "vq9-Lx3!tRz7"] {
                assert!(list.lists(password).is_err(), "{}", path.display());
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
