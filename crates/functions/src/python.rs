//! Finding a Python 3 with `awslambdaric` and `boto3`: `BATON_PYTHON` if
//! set, else a managed virtual environment created on first use.

use std::path::{Path, PathBuf};

use tokio::process::Command;

/// Resolves the interpreter; `managed` is where the managed venv lives.
pub async fn resolve(explicit: Option<&Path>, managed: &Path) -> Result<PathBuf, String> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("BATON_PYTHON").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let python = managed.join("bin").join("python");
    let marker = managed.join(".baton-ready");
    if marker.exists() && python.exists() {
        return Ok(python);
    }
    eprintln!(
        "Baton: setting up the Python environment for functions in {} (python3 -m venv; pip install awslambdaric boto3). This happens once.",
        managed.display()
    );
    let advice = "Install Python 3 with the venv module (e.g. `apt install python3-venv`) and network access to PyPI, or point BATON_PYTHON at a Python that has `awslambdaric` and `boto3` installed (`pip install awslambdaric boto3`).";
    if let Some(parent) = managed.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}. {advice}", parent.display()))?;
    }
    run(
        Command::new("python3").arg("-m").arg("venv").arg(managed),
        "python3 -m venv",
        advice,
    )
    .await?;
    run(
        Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "awslambdaric",
            "boto3",
        ]),
        "pip install awslambdaric boto3",
        advice,
    )
    .await?;
    let _ = std::fs::write(&marker, b"");
    eprintln!("Baton: Python environment ready.");
    Ok(python)
}

async fn run(cmd: &mut Command, what: &str, advice: &str) -> Result<(), String> {
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| format!("Baton could not run `{what}`: {e}. {advice}"))?;
    if out.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: String = stderr
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        Err(format!(
            "Baton could not set up Python for functions: `{what}` failed ({}): {tail}. {advice}",
            out.status
        ))
    }
}
