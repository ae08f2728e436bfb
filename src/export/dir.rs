//! The export directory: checked before any packet is read, written through temporary names that are
//! renamed into place only when complete, so a crash never leaves a file that looks whole.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

pub struct ExportDir {
    path: PathBuf,
}

impl ExportDir {
    /// Creates `path` if needed and proves it writable. Errors say which directory and why.
    pub fn prepare(path: &Path) -> Result<ExportDir, String> {
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

    /// Writes `name` through `fill`, atomically: a `.tmp` file renamed when `fill` succeeded.
    pub fn write(
        &self,
        name: &str,
        fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), String> {
        let target = self.path.join(name);
        let tmp = self.path.join(format!(".{name}.tmp"));
        let result = (|| {
            let mut out = BufWriter::new(File::create(&tmp)?);
            fill(&mut out)?;
            out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            fs::rename(&tmp, &target)
        })();
        result.map_err(|e| {
            let _ = fs::remove_file(&tmp);
            format!("{}: {e}", target.display())
        })
    }
}
