//! `baton diagram FILE`: draw a state machine definition as SVG, DOT, Mermaid or layout JSON.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

/// Output formats of `baton diagram`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Svg,
    Dot,
    Mermaid,
    Json,
}

#[derive(Args)]
pub struct DiagramArgs {
    /// Definition file (ASL JSON).
    file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "svg")]
    format: Format,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
}

/// Validates the definition (a definition CreateStateMachine would reject gets its located
/// diagnostics and exit code 1, and nothing is written), then renders it.
pub fn diagram(args: DiagramArgs) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let diagnostics = asl::validate_str(&text);
    if diagnostics.iter().any(|d| d.is_error()) {
        for d in diagnostics.iter().filter(|d| d.is_error()) {
            eprintln!(
                "{}: {} at {}: {}",
                args.file.display(),
                d.code.aws_code(),
                d.location,
                d.message
            );
        }
        return Ok(ExitCode::from(1));
    }
    let definition: serde_json::Value =
        serde_json::from_str(&text).context("definition is not valid JSON")?;
    let drawn = diagram::Diagram::from_definition(&definition)
        .with_context(|| format!("cannot draw {}", args.file.display()))?;
    let rendered = match args.format {
        Format::Svg => drawn.to_svg(),
        Format::Dot => drawn.to_dot(),
        Format::Mermaid => drawn.to_mermaid(),
        Format::Json => format!("{:#}\n", drawn.to_json()),
    };
    match &args.output {
        Some(path) => write_atomically(path, rendered.as_bytes())?,
        None => std::io::stdout()
            .write_all(rendered.as_bytes())
            .context("cannot write to standard output")?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes through a temporary file in the same folder, then renames: the output is either
/// the old file or the complete new one, never half-written.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "diagram".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}", path.display())
    })
}
