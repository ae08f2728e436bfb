//! The export directory: checked before any packet is read, written through temporary names that are
//! renamed into place only when complete, so a crash or a full disk never leaves a file that looks
//! whole. A directory holding an earlier export is refused unless the caller forces it.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Every file an export writes: a directory holding any of them holds an earlier export.
pub const EXPORT_FILES: &[&str] = &[
    "flows.ndjson",
    "flows.csv",
    "summary.json",
    "alerts.ndjson",
    "report.html",
];

pub struct ExportDir {
    path: PathBuf,
}

impl ExportDir {
    /// Creates `path` if needed and proves it writable; refuses a directory that already holds one of
    /// [`EXPORT_FILES`] unless `force`. Errors say which directory (or file) and why, in one line.
    pub fn prepare(path: &Path, force: bool) -> Result<ExportDir, String> {
        check_target(path, force)?;
        fs::create_dir_all(path)
            .map_err(|e| format!("export directory {}: {e}", path.display()))?;
        let probe = path.join(".aiwatch-write-test");
        File::create(&probe)
            .and_then(|_| fs::remove_file(&probe))
            .map_err(|e| format!("export directory {}: not writable: {e}", path.display()))?;
        Ok(ExportDir {
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes an earlier (forced-over) export's files except `keep`: a live run rewrites
    /// flows.ndjson as it goes and the rest only when it stops, and until then the folder must not
    /// show an old run's report beside the new run's flows.
    pub fn remove_earlier(&self, keep: &[&str]) -> Result<(), String> {
        for name in EXPORT_FILES.iter().filter(|f| !keep.contains(f)) {
            let path = self.path.join(name);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("{}: {e}", path.display())),
            }
        }
        Ok(())
    }
}

/// The checks of [`ExportDir::prepare`] that create nothing: not a file, no earlier export unless
/// `force`.
pub fn check_target(path: &Path, force: bool) -> Result<(), String> {
    if path.exists() && !path.is_dir() {
        return Err(format!(
            "export directory {}: exists and is not a directory",
            path.display()
        ));
    }
    if !force {
        let earlier: Vec<&str> = EXPORT_FILES
            .iter()
            .copied()
            .filter(|f| path.join(f).exists())
            .collect();
        if !earlier.is_empty() {
            return Err(format!(
                "export directory {} already holds an earlier export ({}); use --force to overwrite it",
                path.display(),
                earlier.join(", ")
            ));
        }
    }
    Ok(())
}

impl ExportDir {
    /// Writes `name` through `fill`, atomically: a `.tmp` file renamed when `fill` succeeded.
    pub fn write(
        &self,
        name: &str,
        fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), String> {
        write_atomically(&self.path.join(name), fill)
    }
}

/// The temporary name a file is written under before it is renamed to `target`: hidden, same folder
/// (so the rename cannot cross file systems).
pub fn temporary_name(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.tmp"))
}

/// Files written under their temporary names, renamed into place together by [`Staged::commit`]:
/// an export either appears whole or not at all (a failure removes every staged file).
#[derive(Default)]
pub struct Staged {
    files: Vec<(PathBuf, PathBuf)>,
}

impl Staged {
    /// Writes `dir/name` through `fill` under its temporary name, synced; nothing is renamed yet.
    pub fn stage(
        &mut self,
        dir: &ExportDir,
        name: &str,
        fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), String> {
        let target = dir.path.join(name);
        let tmp = temporary_name(&target);
        let result = (|| {
            let mut out = BufWriter::new(File::create(&tmp)?);
            fill(&mut out)?;
            out.into_inner().map_err(|e| e.into_error())?.sync_all()
        })();
        match result {
            Ok(()) => {
                self.files.push((tmp, target));
                Ok(())
            }
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                self.abort();
                Err(format!("{}: {e}", target.display()))
            }
        }
    }

    /// Renames every staged file into place.
    /// A rename that fails (a folder in the file's place) stops there; the files renamed before
    /// it are whole, the rest are removed.
    pub fn commit(mut self) -> Result<(), String> {
        while !self.files.is_empty() {
            let (tmp, target) = self.files.remove(0);
            if let Err(e) = fs::rename(&tmp, &target) {
                let _ = fs::remove_file(&tmp);
                return Err(format!("{}: {e}", target.display()));
            }
        }
        Ok(())
    }

    /// Removes every staged file (the export is abandoned).
    pub fn abort(&mut self) {
        for (tmp, _) in self.files.drain(..) {
            let _ = fs::remove_file(tmp);
        }
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        self.abort();
    }
}

/// Writes `target` through `fill` under [`temporary_name`], synced and renamed when complete; on any
/// error the temporary file is removed and the error names `target`.
pub fn write_atomically(
    target: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), String> {
    let tmp = temporary_name(target);
    let result = (|| {
        let mut out = BufWriter::new(File::create(&tmp)?);
        fill(&mut out)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        fs::rename(&tmp, target)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        format!("{}: {e}", target.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_earlier_keeps_only_what_it_is_told_and_other_files() {
        let dir = std::env::temp_dir().join(format!("aiwatch-dir-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        for f in EXPORT_FILES.iter().chain(&["notes.txt"]) {
            fs::write(dir.join(f), b"old").unwrap();
        }
        let export = ExportDir::prepare(&dir, true).unwrap();
        export.remove_earlier(&["flows.ndjson"]).unwrap();
        let mut left: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["flows.ndjson", "notes.txt"]);
        // Nothing left to remove is not an error.
        export.remove_earlier(&[]).unwrap();
        fs::remove_dir_all(&dir).unwrap();
    }
}
