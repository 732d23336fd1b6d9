//! Unpacking deployment packages: a zip refused as a whole if any entry would
//! land outside the function's folder (`..`, absolute paths, drive prefixes).

use std::io::{Cursor, Read};
use std::path::{Component, Path, PathBuf};

use crate::FnError;

/// Largest unzipped package AWS accepts (250 MB).
const MAX_UNZIPPED: u64 = 250 * 1024 * 1024;

/// The relative path an entry name stands for, or `None` when it is unsafe
/// (absolute, `..`, a Windows prefix, or empty).
pub fn safe_entry_path(name: &str) -> Option<PathBuf> {
    if name.starts_with('/') || name.starts_with('\\') || name.contains('\0') {
        return None;
    }
    let normalised = name.replace('\\', "/");
    let mut out = PathBuf::new();
    for component in Path::new(&normalised).components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    if out.as_os_str().is_empty() {
        None
    } else {
        Some(out)
    }
}

/// Unpacks `zip` into `dest` (which must exist and be empty). Checks every
/// entry before writing anything, so a bad archive leaves `dest` untouched.
pub fn extract(zip: &[u8], dest: &Path) -> Result<u64, FnError> {
    let bad = |why: String| {
        FnError::InvalidParameter(format!(
            "Could not unzip uploaded file. Please check your file, then try to upload again. ({why})"
        ))
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).map_err(|e| bad(e.to_string()))?;
    let mut plan = Vec::with_capacity(archive.len());
    let mut total = 0u64;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|e| bad(e.to_string()))?;
        let name = entry.name().to_string();
        let Some(rel) = safe_entry_path(&name) else {
            return Err(bad(format!("entry '{name}' points outside the package")));
        };
        total = total.saturating_add(entry.size());
        if total > MAX_UNZIPPED {
            return Err(FnError::InvalidParameter(format!(
                "Unzipped size must be smaller than {MAX_UNZIPPED} bytes"
            )));
        }
        plan.push((i, rel, entry.is_dir(), entry.unix_mode()));
    }
    for (i, rel, is_dir, mode) in plan {
        let target = dest.join(&rel);
        if is_dir {
            std::fs::create_dir_all(&target)?;
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut entry = archive.by_index(i).map_err(|e| bad(e.to_string()))?;
        let mut data = Vec::with_capacity(entry.size() as usize);
        entry
            .by_ref()
            .take(MAX_UNZIPPED)
            .read_to_end(&mut data)
            .map_err(|e| bad(e.to_string()))?;
        std::fs::write(&target, &data)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // Lambda keeps the archive's permission bits; a `bootstrap`
            // without any is made executable (zips made on Windows).
            let bits = match mode {
                Some(m) if m & 0o777 != 0 => m & 0o777,
                _ if rel == Path::new("bootstrap") => 0o755,
                _ => 0o644,
            };
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(bits | 0o400))?;
        }
        #[cfg(not(unix))]
        let _ = mode;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn make_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            let opts: zip::write::SimpleFileOptions = zip::write::SimpleFileOptions::default();
            for (name, data) in entries {
                w.start_file(*name, opts).unwrap();
                w.write_all(data).unwrap();
            }
            w.finish().unwrap();
        }
        buf.into_inner()
    }

    #[test]
    fn safe_paths() {
        assert_eq!(safe_entry_path("a/b.py"), Some(PathBuf::from("a/b.py")));
        assert_eq!(safe_entry_path("./a.py"), Some(PathBuf::from("a.py")));
        assert_eq!(safe_entry_path("../a.py"), None);
        assert_eq!(safe_entry_path("a/../../b"), None);
        assert_eq!(safe_entry_path("/etc/passwd"), None);
        assert_eq!(safe_entry_path("\\evil"), None);
        assert_eq!(safe_entry_path("a\\..\\..\\b"), None);
        assert_eq!(safe_entry_path("C:/x"), Some(PathBuf::from("C:/x")));
        assert_eq!(safe_entry_path(""), None);
    }

    #[test]
    fn extracts_good_zip() {
        let dir = tempfile::tempdir().unwrap();
        let zip = make_zip(&[("app.py", b"x = 1\n"), ("pkg/mod.py", b"y = 2\n")]);
        extract(&zip, dir.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("pkg/mod.py")).unwrap(),
            "y = 2\n"
        );
    }

    #[test]
    fn refuses_traversal_and_writes_nothing() {
        let outer = tempfile::tempdir().unwrap();
        let dest = outer.path().join("code");
        std::fs::create_dir(&dest).unwrap();
        for name in ["../escape.py", "/tmp/abs.py", "a/../../escape2.py"] {
            let zip = make_zip(&[("ok.py", b"1"), (name, b"2")]);
            assert!(matches!(
                extract(&zip, &dest),
                Err(FnError::InvalidParameter(_))
            ));
        }
        assert_eq!(std::fs::read_dir(&dest).unwrap().count(), 0);
        assert!(!outer.path().join("escape.py").exists());
    }

    #[test]
    fn refuses_garbage() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            extract(b"not a zip", dir.path()),
            Err(FnError::InvalidParameter(_))
        ));
    }
}
