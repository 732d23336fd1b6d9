//! Baton's local Lambda.
//!
//! A [`Registry`] of functions (code unpacked under
//! `<data-dir>/functions/<name>/code`, settings in `config.json` beside it;
//! a temporary folder for `--in-memory`), warm execution environments that
//! speak the Lambda Runtime API to unmodified runtime clients (`awslambdaric`
//! for `python3.x`, an executable `bootstrap` for `provided*`), per-function
//! logs, and [`LambdaDispatcher`], which carries out Task states whose
//! resource is a Lambda function.

mod archive;
mod dispatch;
mod env;
mod python;
pub mod runtime_api;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use archive::{extract, safe_entry_path};
pub use dispatch::LambdaDispatcher;

/// Lines kept per function.
const LOG_RING: usize = 10_000;
/// Bytes of log returned by `X-Amz-Log-Type: Tail`.
const TAIL_BYTES: usize = 4096;
/// Environments per function at most (more callers wait).
const MAX_ENVIRONMENTS: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum FnError {
    /// The message is AWS's (`Function not found: <arn>`).
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    InvalidParameter(String),
    /// Baton could not run the function (no Python, spawn failure…).
    #[error("{0}")]
    Service(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A function's settings, as stored in `config.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FunctionConfig {
    pub function_name: String,
    pub runtime: String,
    pub role: String,
    pub handler: String,
    #[serde(default)]
    pub description: String,
    pub timeout: u64,
    pub memory_size: u64,
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    pub code_size: u64,
    pub code_sha256: String,
    pub last_modified: String,
    pub revision_id: String,
    /// A local folder the function runs from instead of unpacked code
    /// (`Code: {"S3Bucket": "hot-reload", "S3Key": "/abs/folder"}`). Edits
    /// take effect on the next invocation: environments are not reused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_folder: Option<PathBuf>,
    /// `Some(n)` for published version `n` (a frozen copy); `None` is `$LATEST`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// For a version: the `$LATEST` revision it was published from, so an
    /// unchanged function publishes no new version (as on AWS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_from: Option<String>,
}

impl FunctionConfig {
    /// `$LATEST` or the version number.
    pub fn version_name(&self) -> String {
        self.version
            .map_or_else(|| "$LATEST".to_string(), |v| v.to_string())
    }
}

/// An alias: a name for one version of a function.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct AliasConfig {
    pub name: String,
    /// `$LATEST` or a version number.
    pub function_version: String,
    #[serde(default)]
    pub description: String,
    pub revision_id: String,
}

/// Fields of CreateFunction.
#[derive(Debug, Clone)]
pub struct CreateSpec {
    pub name: String,
    pub runtime: String,
    pub role: String,
    pub handler: String,
    pub description: String,
    pub timeout: Option<u64>,
    pub memory_size: Option<u64>,
    pub environment: BTreeMap<String, String>,
    pub code: Code,
}

/// Where a function's code comes from.
#[derive(Debug, Clone)]
pub enum Code {
    /// A deployment package, unpacked into the function's folder.
    Zip(Vec<u8>),
    /// An existing local folder, used in place (fast edit-run loop).
    Folder(PathBuf),
}

impl Code {
    fn check(&self) -> Result<(), FnError> {
        if let Code::Folder(p) = self
            && !(p.is_absolute() && p.is_dir())
        {
            return Err(FnError::InvalidParameter(format!(
                "The code folder {} must be an absolute path to an existing directory",
                p.display()
            )));
        }
        Ok(())
    }

    fn size_and_digest(&self) -> (u64, String) {
        match self {
            Code::Zip(z) => (z.len() as u64, Registry::code_digest(z)),
            Code::Folder(p) => (0, Registry::code_digest(p.to_string_lossy().as_bytes())),
        }
    }

    fn folder(&self) -> Option<PathBuf> {
        match self {
            Code::Zip(_) => None,
            Code::Folder(p) => Some(p.clone()),
        }
    }
}

/// Fields of UpdateFunctionConfiguration (`None` = unchanged).
#[derive(Debug, Clone, Default)]
pub struct ConfigUpdate {
    pub runtime: Option<String>,
    pub role: Option<String>,
    pub handler: Option<String>,
    pub description: Option<String>,
    pub timeout: Option<u64>,
    pub memory_size: Option<u64>,
    pub environment: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    /// Epoch milliseconds.
    pub timestamp: i64,
    pub message: String,
}

/// The result of a synchronous invocation.
#[derive(Debug, Clone)]
pub struct InvokeResult {
    pub request_id: String,
    /// The function's result, or the error JSON when `function_error`.
    pub payload: Bytes,
    pub function_error: bool,
    /// This invocation's log (START … REPORT), for `X-Amz-Log-Result`.
    pub log: String,
    /// `$LATEST` or the version that ran (`X-Amz-Executed-Version`).
    pub executed_version: String,
}

impl InvokeResult {
    /// The last 4 KB of the log, base64 (`X-Amz-Log-Result`).
    pub fn log_tail_base64(&self) -> String {
        let bytes = self.log.as_bytes();
        let start = bytes.len().saturating_sub(TAIL_BYTES);
        base64::engine::general_purpose::STANDARD.encode(&bytes[start..])
    }
}

/// Where and how the registry runs functions.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `<data-dir>`; `None` keeps functions in a temporary folder.
    pub data_dir: Option<PathBuf>,
    pub region: String,
    pub account: String,
    /// Baton's own endpoint (`http://127.0.0.1:4566`), given to functions
    /// as `AWS_ENDPOINT_URL` so their boto3 reaches Baton's services.
    pub endpoint_url: String,
    /// Overrides `BATON_PYTHON`.
    pub python: Option<PathBuf>,
}

struct Function {
    config: FunctionConfig,
    /// Bumped on every code or configuration change; warm environments of an
    /// older revision are not reused.
    revision: u64,
    idle: Vec<env::Environment>,
    running: usize,
    logs: VecDeque<LogLine>,
    /// Published versions, each with its own frozen code and environments.
    versions: BTreeMap<u64, Function>,
    aliases: BTreeMap<String, AliasConfig>,
}

struct Inner {
    settings: Settings,
    root: PathBuf,
    temporary: bool,
    functions: Mutex<HashMap<String, Function>>,
    /// Set once found; a failure is not kept, so the next invocation retries.
    python: tokio::sync::OnceCell<PathBuf>,
    /// Signalled when an environment slot frees up.
    freed: tokio::sync::Notify,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

/// The functions Baton knows. Cheap to clone.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub(crate) fn log_timestamp() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Registry {
    /// Opens the registry, loading the functions stored under the data dir.
    pub fn open(settings: Settings) -> Result<Registry, FnError> {
        let (root, temporary) = match &settings.data_dir {
            Some(d) => (d.join("functions"), false),
            None => (
                std::env::temp_dir().join(format!("baton-functions-{}", uuid::Uuid::new_v4())),
                true,
            ),
        };
        std::fs::create_dir_all(&root)?;
        let mut functions = HashMap::new();
        if !temporary {
            for entry in std::fs::read_dir(&root)? {
                let entry = entry?;
                let cfg = entry.path().join("config.json");
                let Ok(text) = std::fs::read_to_string(&cfg) else {
                    continue;
                };
                match serde_json::from_str::<FunctionConfig>(&text) {
                    Ok(config)
                        if config.code_folder.is_some() || entry.path().join("code").is_dir() =>
                    {
                        let mut f = Function::new(config);
                        load_versions(&entry.path(), &mut f);
                        functions.insert(f.config.function_name.clone(), f);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(file = %cfg.display(), error = %e, "unreadable function config")
                    }
                }
            }
        }
        Ok(Registry {
            inner: Arc::new(Inner {
                settings,
                root,
                temporary,
                functions: Mutex::new(functions),
                python: tokio::sync::OnceCell::new(),
                freed: tokio::sync::Notify::new(),
            }),
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// `arn:aws:lambda:<region>:<account>:function:<name>`.
    pub fn arn(&self, name: &str) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{name}",
            self.inner.settings.region, self.inner.settings.account
        )
    }

    /// The function name in a name, a partial ARN or a full ARN, each
    /// optionally qualified, with the qualifier.
    pub fn parse_name(reference: &str) -> (String, Option<String>) {
        let parts: Vec<&str> = reference.split(':').collect();
        let (name, qualifier) = if reference.starts_with("arn:") {
            (parts.get(6).copied().unwrap_or(""), parts.get(7).copied())
        } else if let Some(i) = parts.iter().position(|p| *p == "function") {
            (
                parts.get(i + 1).copied().unwrap_or(""),
                parts.get(i + 2).copied(),
            )
        } else {
            (parts[0], parts.get(1).copied())
        };
        (name.to_string(), qualifier.map(str::to_string))
    }

    fn not_found(&self, name: &str) -> FnError {
        FnError::NotFound(format!("Function not found: {}", self.arn(name)))
    }

    fn dir(&self, name: &str) -> PathBuf {
        self.inner.root.join(name)
    }

    fn code_dir(&self, name: &str) -> PathBuf {
        self.dir(name).join("code")
    }

    fn save(&self, config: &FunctionConfig) -> Result<(), FnError> {
        let text =
            serde_json::to_string_pretty(config).map_err(|e| FnError::Service(e.to_string()))?;
        let path = self.dir(&config.function_name).join("config.json");
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &path)?;
        Ok(())
    }

    /// Unpacks `zip` into a fresh folder beside the code and swaps it in.
    fn install_code(&self, name: &str, zip: &[u8]) -> Result<(), FnError> {
        let dir = self.dir(name);
        std::fs::create_dir_all(&dir)?;
        let staging = dir.join(format!("code.new-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir(&staging)?;
        if let Err(e) = archive::extract(zip, &staging) {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
        let code = self.code_dir(name);
        if code.exists() {
            let old = dir.join(format!("code.old-{}", uuid::Uuid::new_v4()));
            std::fs::rename(&code, &old)?;
            let _ = std::fs::remove_dir_all(&old);
        }
        std::fs::rename(&staging, &code)?;
        Ok(())
    }

    fn check_runtime(runtime: &str) -> Result<(), FnError> {
        if runtime.starts_with("python3")
            || runtime == "provided"
            || runtime.starts_with("provided.")
        {
            Ok(())
        } else {
            Err(FnError::InvalidParameter(format!(
                "Value {runtime} at 'runtime' failed to satisfy constraint: Baton runs python3.x and provided/provided.al2023 functions"
            )))
        }
    }

    fn check_limits(timeout: u64, memory: u64) -> Result<(), FnError> {
        if !(1..=900).contains(&timeout) {
            return Err(FnError::InvalidParameter(format!(
                "1 validation error detected: Value '{timeout}' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900"
            )));
        }
        if !(128..=10240).contains(&memory) {
            return Err(FnError::InvalidParameter(format!(
                "1 validation error detected: Value '{memory}' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128"
            )));
        }
        Ok(())
    }

    fn code_digest(zip: &[u8]) -> String {
        use sha2::Digest;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(zip))
    }

    fn stamp() -> String {
        chrono::Utc::now()
            .format("%Y-%m-%dT%H:%M:%S%.3f+0000")
            .to_string()
    }

    pub fn create(&self, spec: CreateSpec) -> Result<FunctionConfig, FnError> {
        if !valid_name(&spec.name) {
            return Err(FnError::InvalidParameter(format!(
                "1 validation error detected: Value '{}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+",
                spec.name
            )));
        }
        Self::check_runtime(&spec.runtime)?;
        let timeout = spec.timeout.unwrap_or(3);
        let memory = spec.memory_size.unwrap_or(128);
        Self::check_limits(timeout, memory)?;
        if lock(&self.inner.functions).contains_key(&spec.name) {
            return Err(FnError::Conflict(format!(
                "Function already exist: {}",
                spec.name
            )));
        }
        spec.code.check()?;
        match &spec.code {
            Code::Zip(zip) => self.install_code(&spec.name, zip)?,
            Code::Folder(_) => std::fs::create_dir_all(self.dir(&spec.name))?,
        }
        let (code_size, code_sha256) = spec.code.size_and_digest();
        let config = FunctionConfig {
            function_name: spec.name.clone(),
            runtime: spec.runtime,
            role: spec.role,
            handler: spec.handler,
            description: spec.description,
            timeout,
            memory_size: memory,
            environment: spec.environment,
            code_size,
            code_sha256,
            last_modified: Self::stamp(),
            revision_id: uuid::Uuid::new_v4().to_string(),
            code_folder: spec.code.folder(),
            version: None,
            published_from: None,
        };
        let mut functions = lock(&self.inner.functions);
        if functions.contains_key(&spec.name) {
            return Err(FnError::Conflict(format!(
                "Function already exist: {}",
                spec.name
            )));
        }
        self.save(&config)?;
        functions.insert(spec.name, Function::new(config.clone()));
        Ok(config)
    }

    pub fn get(&self, reference: &str) -> Result<FunctionConfig, FnError> {
        let (name, _) = Self::parse_name(reference);
        lock(&self.inner.functions)
            .get(&name)
            .map(|f| f.config.clone())
            .ok_or_else(|| self.not_found(&name))
    }

    /// The folder a function's (or a version's) code runs from.
    fn code_of(&self, config: &FunctionConfig) -> PathBuf {
        if let Some(folder) = &config.code_folder {
            return folder.clone();
        }
        match config.version {
            Some(v) => self.version_dir(&config.function_name, v).join("code"),
            None => self.code_dir(&config.function_name),
        }
    }

    fn version_dir(&self, name: &str, version: u64) -> PathBuf {
        self.dir(name).join("versions").join(version.to_string())
    }

    /// The function and version a reference names: `name`, `name:$LATEST`,
    /// `name:3`, `name:alias` or the same as (partial) ARNs. `None` is
    /// `$LATEST`.
    pub fn resolve(&self, reference: &str) -> Result<(String, Option<u64>), FnError> {
        let (name, qualifier) = Self::parse_name(reference);
        let functions = lock(&self.inner.functions);
        let f = functions.get(&name).ok_or_else(|| self.not_found(&name))?;
        let missing =
            |q: &str| FnError::NotFound(format!("Function not found: {}:{q}", self.arn(&name)));
        let version = match qualifier.as_deref() {
            None | Some("$LATEST") => None,
            Some(q) if q.chars().all(|c| c.is_ascii_digit()) => {
                let v: u64 = q.parse().map_err(|_| missing(q))?;
                f.versions
                    .contains_key(&v)
                    .then_some(v)
                    .ok_or_else(|| missing(q))?;
                Some(v)
            }
            Some(q) => {
                let alias = f.aliases.get(q).ok_or_else(|| missing(q))?;
                // `$LATEST` is the only non-numeric version an alias holds.
                alias.function_version.parse::<u64>().ok()
            }
        };
        Ok((name, version))
    }

    /// The configuration of the version a (qualified) reference names.
    pub fn get_qualified(&self, reference: &str) -> Result<FunctionConfig, FnError> {
        let (name, version) = self.resolve(reference)?;
        lock(&self.inner.functions)
            .get_mut(&name)
            .and_then(|f| f.target(version))
            .map(|f| f.config.clone())
            .ok_or_else(|| self.not_found(&name))
    }

    /// PublishVersion: freezes `$LATEST`'s code and configuration as the
    /// next version, or returns the last version when nothing changed.
    pub fn publish_version(
        &self,
        reference: &str,
        description: Option<String>,
    ) -> Result<FunctionConfig, FnError> {
        let (name, _) = Self::parse_name(reference);
        let mut functions = lock(&self.inner.functions);
        let f = functions
            .get_mut(&name)
            .ok_or_else(|| self.not_found(&name))?;
        if let Some((_, last)) = f.versions.iter().next_back()
            && last.config.published_from.as_deref() == Some(f.config.revision_id.as_str())
        {
            return Ok(last.config.clone());
        }
        let number = f.versions.keys().next_back().map_or(1, |n| n + 1);
        let dir = self.version_dir(&name, number);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        if f.config.code_folder.is_none()
            && let Err(e) = copy_tree(&self.code_dir(&name), &dir.join("code"))
        {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e.into());
        }
        let mut config = f.config.clone();
        config.version = Some(number);
        config.published_from = Some(f.config.revision_id.clone());
        config.revision_id = uuid::Uuid::new_v4().to_string();
        if let Some(d) = description {
            config.description = d;
        }
        let text =
            serde_json::to_string_pretty(&config).map_err(|e| FnError::Service(e.to_string()))?;
        std::fs::write(dir.join("config.json"), text)?;
        f.versions.insert(number, Function::new(config.clone()));
        Ok(config)
    }

    /// DeleteFunction with a version qualifier: removes that version only,
    /// unless an alias still points at it.
    pub fn delete_version(&self, reference: &str, version: &str) -> Result<(), FnError> {
        let (name, _) = Self::parse_name(reference);
        let mut functions = lock(&self.inner.functions);
        let f = functions
            .get_mut(&name)
            .ok_or_else(|| self.not_found(&name))?;
        let Ok(n) = version.parse::<u64>() else {
            return Err(FnError::InvalidParameter(format!(
                "Deletion of aliases is not supported by DeleteFunction; use DeleteAlias ({version})"
            )));
        };
        if !f.versions.contains_key(&n) {
            return Err(FnError::NotFound(format!(
                "Function not found: {}:{n}",
                self.arn(&name)
            )));
        }
        let users: Vec<&str> = f
            .aliases
            .values()
            .filter(|a| a.function_version == version)
            .map(|a| a.name.as_str())
            .collect();
        if !users.is_empty() {
            return Err(FnError::Conflict(format!(
                "Unable to delete version because the following aliases reference it: [{}]",
                users.join(", ")
            )));
        }
        f.versions.remove(&n);
        let _ = std::fs::remove_dir_all(self.version_dir(&name, n));
        Ok(())
    }

    /// ListVersionsByFunction: `$LATEST`, then the versions in order.
    pub fn list_versions(&self, reference: &str) -> Result<Vec<FunctionConfig>, FnError> {
        let (name, _) = Self::parse_name(reference);
        let functions = lock(&self.inner.functions);
        let f = functions.get(&name).ok_or_else(|| self.not_found(&name))?;
        Ok(std::iter::once(f.config.clone())
            .chain(f.versions.values().map(|v| v.config.clone()))
            .collect())
    }

    /// `arn:aws:lambda:<region>:<account>:function:<name>:<alias>`.
    pub fn alias_arn(&self, name: &str, alias: &str) -> String {
        format!("{}:{alias}", self.arn(name))
    }

    fn save_aliases(&self, name: &str, f: &Function) -> Result<(), FnError> {
        let list: Vec<&AliasConfig> = f.aliases.values().collect();
        let text =
            serde_json::to_string_pretty(&list).map_err(|e| FnError::Service(e.to_string()))?;
        let path = self.dir(name).join("aliases.json");
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &path)?;
        Ok(())
    }

    fn check_version_exists(&self, name: &str, f: &Function, version: &str) -> Result<(), FnError> {
        let known = version == "$LATEST"
            || version
                .parse::<u64>()
                .is_ok_and(|v| f.versions.contains_key(&v));
        if known {
            Ok(())
        } else {
            Err(FnError::NotFound(format!(
                "Function not found: {}:{version}",
                self.arn(name)
            )))
        }
    }

    /// CreateAlias.
    pub fn create_alias(
        &self,
        reference: &str,
        alias: &str,
        function_version: &str,
        description: String,
    ) -> Result<AliasConfig, FnError> {
        let (name, _) = Self::parse_name(reference);
        if !valid_alias(alias) {
            return Err(FnError::InvalidParameter(format!(
                "1 validation error detected: Value '{alias}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"
            )));
        }
        let mut functions = lock(&self.inner.functions);
        let f = functions
            .get_mut(&name)
            .ok_or_else(|| self.not_found(&name))?;
        self.check_version_exists(&name, f, function_version)?;
        if f.aliases.contains_key(alias) {
            return Err(FnError::Conflict(format!(
                "Alias already exists: {}",
                self.alias_arn(&name, alias)
            )));
        }
        let config = AliasConfig {
            name: alias.to_string(),
            function_version: function_version.to_string(),
            description,
            revision_id: uuid::Uuid::new_v4().to_string(),
        };
        f.aliases.insert(alias.to_string(), config.clone());
        if let Err(e) = self.save_aliases(&name, f) {
            f.aliases.remove(alias);
            return Err(e);
        }
        Ok(config)
    }

    fn alias_not_found(&self, name: &str, alias: &str) -> FnError {
        FnError::NotFound(format!("Alias not found: {}", self.alias_arn(name, alias)))
    }

    /// GetAlias.
    pub fn get_alias(&self, reference: &str, alias: &str) -> Result<AliasConfig, FnError> {
        let (name, _) = Self::parse_name(reference);
        let functions = lock(&self.inner.functions);
        let f = functions.get(&name).ok_or_else(|| self.not_found(&name))?;
        f.aliases
            .get(alias)
            .cloned()
            .ok_or_else(|| self.alias_not_found(&name, alias))
    }

    /// ListAliases, by name.
    pub fn list_aliases(&self, reference: &str) -> Result<Vec<AliasConfig>, FnError> {
        let (name, _) = Self::parse_name(reference);
        let functions = lock(&self.inner.functions);
        let f = functions.get(&name).ok_or_else(|| self.not_found(&name))?;
        Ok(f.aliases.values().cloned().collect())
    }

    /// UpdateAlias (`None` = unchanged).
    pub fn update_alias(
        &self,
        reference: &str,
        alias: &str,
        function_version: Option<String>,
        description: Option<String>,
    ) -> Result<AliasConfig, FnError> {
        let (name, _) = Self::parse_name(reference);
        let mut functions = lock(&self.inner.functions);
        let f = functions
            .get_mut(&name)
            .ok_or_else(|| self.not_found(&name))?;
        if let Some(v) = &function_version {
            self.check_version_exists(&name, f, v)?;
        }
        let before = f
            .aliases
            .get(alias)
            .cloned()
            .ok_or_else(|| self.alias_not_found(&name, alias))?;
        let mut after = before.clone();
        if let Some(v) = function_version {
            after.function_version = v;
        }
        if let Some(d) = description {
            after.description = d;
        }
        after.revision_id = uuid::Uuid::new_v4().to_string();
        f.aliases.insert(alias.to_string(), after.clone());
        if let Err(e) = self.save_aliases(&name, f) {
            f.aliases.insert(alias.to_string(), before);
            return Err(e);
        }
        Ok(after)
    }

    /// DeleteAlias.
    pub fn delete_alias(&self, reference: &str, alias: &str) -> Result<(), FnError> {
        let (name, _) = Self::parse_name(reference);
        let mut functions = lock(&self.inner.functions);
        let f = functions
            .get_mut(&name)
            .ok_or_else(|| self.not_found(&name))?;
        if let Some(old) = f.aliases.remove(alias)
            && let Err(e) = self.save_aliases(&name, f)
        {
            f.aliases.insert(alias.to_string(), old);
            return Err(e);
        }
        Ok(())
    }

    /// AliasConfiguration as the Lambda API returns it.
    pub fn alias_json(&self, name: &str, a: &AliasConfig) -> Value {
        json!({
            "AliasArn": self.alias_arn(name, &a.name),
            "Name": a.name,
            "FunctionVersion": a.function_version,
            "Description": a.description,
            "RevisionId": a.revision_id,
        })
    }

    pub fn list(&self) -> Vec<FunctionConfig> {
        let mut all: Vec<FunctionConfig> = lock(&self.inner.functions)
            .values()
            .map(|f| f.config.clone())
            .collect();
        all.sort_by(|a, b| a.function_name.cmp(&b.function_name));
        all
    }

    pub fn delete(&self, reference: &str) -> Result<(), FnError> {
        let (name, _) = Self::parse_name(reference);
        let removed = lock(&self.inner.functions).remove(&name);
        match removed {
            None => Err(self.not_found(&name)),
            Some(_) => {
                let _ = std::fs::remove_dir_all(self.dir(&name));
                Ok(())
            }
        }
    }

    fn modify(
        &self,
        name: &str,
        change: impl FnOnce(&mut FunctionConfig) -> Result<(), FnError>,
    ) -> Result<FunctionConfig, FnError> {
        let mut functions = lock(&self.inner.functions);
        let f = functions
            .get_mut(name)
            .ok_or_else(|| self.not_found(name))?;
        let mut config = f.config.clone();
        change(&mut config)?;
        config.last_modified = Self::stamp();
        config.revision_id = uuid::Uuid::new_v4().to_string();
        self.save(&config)?;
        f.config = config.clone();
        f.revision += 1;
        f.idle.clear();
        Ok(config)
    }

    pub fn update_code(&self, reference: &str, code: Code) -> Result<FunctionConfig, FnError> {
        let (name, _) = Self::parse_name(reference);
        if !lock(&self.inner.functions).contains_key(&name) {
            return Err(self.not_found(&name));
        }
        code.check()?;
        if let Code::Zip(zip) = &code {
            self.install_code(&name, zip)?;
        }
        let (size, digest) = code.size_and_digest();
        self.modify(&name, |c| {
            c.code_size = size;
            c.code_sha256 = digest;
            c.code_folder = code.folder();
            Ok(())
        })
    }

    pub fn update_config(
        &self,
        reference: &str,
        update: ConfigUpdate,
    ) -> Result<FunctionConfig, FnError> {
        let (name, _) = Self::parse_name(reference);
        self.modify(&name, |c| {
            if let Some(r) = update.runtime {
                Self::check_runtime(&r)?;
                c.runtime = r;
            }
            if let Some(v) = update.role {
                c.role = v;
            }
            if let Some(v) = update.handler {
                c.handler = v;
            }
            if let Some(v) = update.description {
                c.description = v;
            }
            let timeout = update.timeout.unwrap_or(c.timeout);
            let memory = update.memory_size.unwrap_or(c.memory_size);
            Self::check_limits(timeout, memory)?;
            c.timeout = timeout;
            c.memory_size = memory;
            if let Some(v) = update.environment {
                c.environment = v;
            }
            Ok(())
        })
    }

    /// The function's kept log lines, oldest first.
    pub fn logs(&self, reference: &str) -> Result<Vec<LogLine>, FnError> {
        let (name, _) = Self::parse_name(reference);
        lock(&self.inner.functions)
            .get(&name)
            .map(|f| f.logs.iter().cloned().collect())
            .ok_or_else(|| self.not_found(&name))
    }

    async fn python(&self) -> Result<PathBuf, FnError> {
        let managed = match &self.inner.settings.data_dir {
            Some(d) => d.join("python"),
            None => std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_else(std::env::temp_dir)
                .join(".cache")
                .join("baton")
                .join("python"),
        };
        let explicit = self.inner.settings.python.clone();
        self.inner
            .python
            .get_or_try_init(|| async move {
                python::resolve(explicit.as_deref(), &managed)
                    .await
                    .map_err(FnError::Service)
            })
            .await
            .cloned()
    }

    async fn launch(&self, config: &FunctionConfig) -> Result<env::Launch, FnError> {
        let s = &self.inner.settings;
        let code = self.code_of(config);
        let code_str = code.to_string_lossy().into_owned();
        let name = &config.function_name;
        let mut vars: Vec<(String, String)> = config
            .environment
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let stream = format!(
            "{}/[$LATEST]{}",
            chrono::Utc::now().format("%Y/%m/%d"),
            uuid::Uuid::new_v4().simple()
        );
        for (k, v) in [
            ("_HANDLER", config.handler.clone()),
            ("AWS_REGION", s.region.clone()),
            ("AWS_DEFAULT_REGION", s.region.clone()),
            (
                "AWS_EXECUTION_ENV",
                format!("AWS_Lambda_{}", config.runtime),
            ),
            ("AWS_LAMBDA_FUNCTION_NAME", name.clone()),
            (
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                config.memory_size.to_string(),
            ),
            ("AWS_LAMBDA_FUNCTION_VERSION", config.version_name()),
            ("AWS_LAMBDA_FUNCTION_TIMEOUT", config.timeout.to_string()),
            ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into()),
            ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
            ("AWS_LAMBDA_LOG_STREAM_NAME", stream),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_SESSION_TOKEN", "test".into()),
            ("AWS_ENDPOINT_URL", s.endpoint_url.clone()),
            ("LAMBDA_TASK_ROOT", code_str.clone()),
            ("LAMBDA_RUNTIME_DIR", code_str.clone()),
            ("TZ", ":UTC".into()),
        ] {
            vars.push((k.to_string(), v));
        }
        if config.runtime.starts_with("python") {
            let python = self.python().await?;
            vars.push(("PYTHONPATH".into(), code_str));
            vars.push(("PYTHONUNBUFFERED".into(), "1".into()));
            if config.code_folder.is_some() {
                // No stale bytecode after a same-second edit, no litter.
                vars.push(("PYTHONDONTWRITEBYTECODE".into(), "1".into()));
            }
            Ok(env::Launch {
                program: python,
                args: vec!["-m".into(), "awslambdaric".into(), config.handler.clone()],
                cwd: code,
                env: vars,
            })
        } else {
            Ok(env::Launch {
                program: code.join("bootstrap"),
                args: Vec::new(),
                cwd: code,
                env: vars,
            })
        }
    }

    /// Takes a warm environment or a free slot for a new one, waiting when
    /// the function is at its cap.
    async fn checkout(
        &self,
        name: &str,
        version: Option<u64>,
    ) -> Result<(FunctionConfig, u64, Option<env::Environment>), FnError> {
        loop {
            // Registered before looking, so a slot freed in between still wakes us.
            let notified = self.inner.freed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut functions = lock(&self.inner.functions);
                let f = functions
                    .get_mut(name)
                    .and_then(|f| f.target(version))
                    .ok_or_else(|| self.not_found(name))?;
                if let Some(e) = f.idle.pop() {
                    f.running += 1;
                    return Ok((f.config.clone(), f.revision, Some(e)));
                }
                if f.running < MAX_ENVIRONMENTS {
                    f.running += 1;
                    return Ok((f.config.clone(), f.revision, None));
                }
            }
            notified.await;
        }
    }

    fn checkin(
        &self,
        name: &str,
        version: Option<u64>,
        environment: Option<env::Environment>,
        lines: Vec<String>,
    ) {
        let mut functions = lock(&self.inner.functions);
        if let Some(f) = functions.get_mut(name) {
            let ts = now_ms();
            for message in lines {
                if f.logs.len() >= LOG_RING {
                    f.logs.pop_front();
                }
                f.logs.push_back(LogLine {
                    timestamp: ts,
                    message,
                });
            }
            if let Some(t) = f.target(version) {
                t.running = t.running.saturating_sub(1);
                if let Some(e) = environment
                    && !e.dead
                    && e.revision == t.revision
                {
                    t.idle.push(e);
                }
            }
        }
        drop(functions);
        // Waiters of every function share this; each re-checks its own.
        self.inner.freed.notify_waiters();
    }

    /// Invokes a function synchronously. `Err` only for problems Lambda's
    /// API reports (not found, Baton cannot run the runtime); function
    /// errors are an `Ok` with `function_error`.
    pub async fn invoke(
        &self,
        reference: &str,
        payload: Bytes,
        client_context: Option<String>,
        want_log: bool,
    ) -> Result<InvokeResult, FnError> {
        let (name, version) = self.resolve(reference)?;
        let (config, revision, warm) = self.checkout(&name, version).await?;
        let mut guard = Checkout {
            registry: self,
            name: &name,
            version,
            environment: None,
            lines: Vec::new(),
        };
        let cold_start = Instant::now();
        let mut environment = match warm {
            Some(e) => e,
            None => {
                let launch = self.launch(&config).await?;
                env::Environment::start(launch, revision)
                    .await
                    .map_err(|e| {
                        FnError::Service(format!(
                            "Baton could not start the runtime of {name}: {e}"
                        ))
                    })?
            }
        };
        let init = !environment.initialized;
        let request_id = uuid::Uuid::new_v4().to_string();
        let timeout = Duration::from_secs(config.timeout);
        let deadline_ms = (now_ms() as u64).saturating_add(timeout.as_millis() as u64);
        let trace_id = format!(
            "Root=1-{:08x}-{};Parent={};Sampled=0",
            now_ms() / 1000,
            &uuid::Uuid::new_v4().simple().to_string()[..24],
            &uuid::Uuid::new_v4().simple().to_string()[..16]
        );
        let invocation = runtime_api::Invocation {
            request_id: request_id.clone(),
            payload,
            deadline_ms,
            function_arn: match reference.split_once(':') {
                // The ARN the caller used, qualifier included (`context.invoked_function_arn`).
                Some(_) if !reference.starts_with("arn:") => {
                    let (_, q) = Self::parse_name(reference);
                    q.map_or_else(|| self.arn(&name), |q| format!("{}:{q}", self.arn(&name)))
                }
                _ if reference.starts_with("arn:") => reference.to_string(),
                _ => self.arn(&name),
            },
            trace_id,
            client_context,
        };
        let started = Instant::now();
        let outcome = environment.invoke(invocation, timeout).await;
        if config.code_folder.is_some() {
            // Run the folder's current files next time.
            environment.dead = true;
        }
        let duration = started.elapsed();
        // Output written just before the answer may still be in the pipe:
        // give the readers a moment when the caller wants this log back.
        if want_log {
            tokio::time::sleep(Duration::from_millis(2)).await;
        } else {
            tokio::task::yield_now().await;
        }
        let executed_version = config.version_name();
        let mut lines = vec![format!(
            "START RequestId: {request_id} Version: {executed_version}"
        )];
        lines.extend(environment.take_output());
        lines.push(format!("END RequestId: {request_id}"));
        let ms = duration.as_secs_f64() * 1000.0;
        let init_part = if init {
            format!(
                "Init Duration: {:.2} ms\t",
                (started - cold_start).as_secs_f64() * 1000.0
            )
        } else {
            String::new()
        };
        lines.push(format!(
            "REPORT RequestId: {request_id}\t{init_part}Duration: {ms:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB\t",
            ms.ceil().max(1.0) as u64,
            config.memory_size,
            config.memory_size.min(64)
        ));
        let mut log = lines.join("\n");
        log.push('\n');
        guard.lines = lines;
        guard.environment = Some(environment);
        drop(guard);
        let (payload, function_error) = match outcome {
            env::Outcome::Success(b) => (b, false),
            env::Outcome::Error(b) => (at_task_root(b, &self.code_of(&config)), true),
        };
        Ok(InvokeResult {
            request_id,
            payload,
            function_error,
            log,
            executed_version,
        })
    }

    /// `InvocationType: Event`: runs in the background.
    pub fn invoke_async(&self, reference: &str, payload: Bytes) -> Result<(), FnError> {
        let (name, _) = self.resolve(reference)?;
        let me = self.clone();
        let reference = reference.to_string();
        tokio::spawn(async move {
            if let Err(e) = me.invoke(&reference, payload, None, false).await {
                tracing::warn!(function = %name, error = %e, "asynchronous invocation failed");
            }
        });
        Ok(())
    }

    /// The configuration as the Lambda API returns it (`FunctionConfiguration`).
    pub fn configuration_json(&self, c: &FunctionConfig) -> Value {
        let mut v = json!({
            "FunctionName": c.function_name,
            "FunctionArn": match c.version {
                Some(v) => format!("{}:{v}", self.arn(&c.function_name)),
                None => self.arn(&c.function_name),
            },
            "Runtime": c.runtime,
            "Role": c.role,
            "Handler": c.handler,
            "CodeSize": c.code_size,
            "Description": c.description,
            "Timeout": c.timeout,
            "MemorySize": c.memory_size,
            "LastModified": c.last_modified,
            "CodeSha256": c.code_sha256,
            "Version": c.version_name(),
            "TracingConfig": {"Mode": "PassThrough"},
            "RevisionId": c.revision_id,
            "State": "Active",
            "LastUpdateStatus": "Successful",
            "PackageType": "Zip",
            "Architectures": ["x86_64"],
            "EphemeralStorage": {"Size": 512},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": format!("/aws/lambda/{}", c.function_name)},
            "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        });
        if !c.environment.is_empty() {
            v["Environment"] = json!({ "Variables": c.environment });
        }
        v
    }

    /// Folder holding a function's unpacked code.
    pub fn code_path(&self, name: &str) -> PathBuf {
        self.code_dir(name)
    }

    /// Root folder of all functions.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }
}

/// Reads a function's published versions (`versions/<n>/config.json`) and
/// aliases (`aliases.json`) from its folder.
fn load_versions(dir: &Path, f: &mut Function) {
    if let Ok(entries) = std::fs::read_dir(dir.join("versions")) {
        for entry in entries.flatten() {
            let Ok(text) = std::fs::read_to_string(entry.path().join("config.json")) else {
                continue;
            };
            match serde_json::from_str::<FunctionConfig>(&text) {
                Ok(c) if c.version.is_some() => {
                    let n = c.version.unwrap_or_default();
                    f.versions.insert(n, Function::new(c));
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(dir = %entry.path().display(), error = %e, "unreadable version config")
                }
            }
        }
    }
    if let Ok(text) = std::fs::read_to_string(dir.join("aliases.json")) {
        match serde_json::from_str::<Vec<AliasConfig>>(&text) {
            Ok(list) => f.aliases = list.into_iter().map(|a| (a.name.clone(), a)).collect(),
            Err(e) => tracing::warn!(dir = %dir.display(), error = %e, "unreadable aliases"),
        }
    }
}

/// Copies a folder tree (a function's code into a version).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Alias names: letters, digits, `-` and `_`, not all digits.
fn valid_alias(name: &str) -> bool {
    valid_name(name) && name.len() <= 128 && !name.chars().all(|c| c.is_ascii_digit())
}

/// Where AWS unpacks a function's code (`LAMBDA_TASK_ROOT`).
const AWS_TASK_ROOT: &str = "/var/task";

/// An error body with the function's code folder written as `/var/task`, as
/// AWS reports it: the runtime's `stackTrace` names the files it ran
/// (`File "/var/task/handler.py", line 2, in handler`), and those lines end
/// up verbatim in a Task state's Cause, so a local folder there would make
/// every Cause differ from AWS's. The rest of the body is left byte for byte.
fn at_task_root(body: Bytes, code: &Path) -> Bytes {
    let Ok(text) = std::str::from_utf8(&body) else {
        return body;
    };
    let Ok(quoted) = serde_json::to_string(&code.to_string_lossy()) else {
        return body;
    };
    // The folder as it appears inside a JSON string, without the quotes.
    let inner = &quoted[1..quoted.len() - 1];
    let from = format!("\\\"{inner}/");
    if !text.contains(&from) {
        return body;
    }
    Bytes::from(text.replace(&from, &format!("\\\"{AWS_TASK_ROOT}/")))
}

impl Function {
    fn new(config: FunctionConfig) -> Function {
        Function {
            config,
            revision: 0,
            idle: Vec::new(),
            running: 0,
            logs: VecDeque::new(),
            versions: BTreeMap::new(),
            aliases: BTreeMap::new(),
        }
    }

    /// `$LATEST` (`None`) or a published version.
    fn target(&mut self, version: Option<u64>) -> Option<&mut Function> {
        match version {
            None => Some(self),
            Some(v) => self.versions.get_mut(&v),
        }
    }
}

/// Gives the slot (and the environment, if still good) back even when the
/// invocation future is dropped or fails to start.
struct Checkout<'a> {
    registry: &'a Registry,
    name: &'a str,
    version: Option<u64>,
    environment: Option<env::Environment>,
    lines: Vec<String>,
}

impl Drop for Checkout<'_> {
    fn drop(&mut self) {
        self.registry.checkin(
            self.name,
            self.version,
            self.environment.take(),
            std::mem::take(&mut self.lines),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_traces_name_var_task() {
        let body = Bytes::from(
            r#"{"errorMessage": "x", "errorType": "Exception", "requestId": "r", "stackTrace": ["  File \"/data/functions/f/code/handler.py\", line 2, in handler\n    raise Exception(\"x\")\n", "  File \"/usr/lib/python3/x.py\", line 1, in g\n"]}"#,
        );
        let out = at_task_root(body, Path::new("/data/functions/f/code"));
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v["stackTrace"][0],
            "  File \"/var/task/handler.py\", line 2, in handler\n    raise Exception(\"x\")\n"
        );
        assert_eq!(
            v["stackTrace"][1],
            "  File \"/usr/lib/python3/x.py\", line 1, in g\n"
        );
        // Python's separators are kept (a function ARN's Cause is verbatim).
        assert!(
            std::str::from_utf8(&out)
                .unwrap()
                .starts_with(r#"{"errorMessage": "x", "#)
        );
        let other = Bytes::from_static(b"not json \xff");
        assert_eq!(at_task_root(other.clone(), Path::new("/x")), other);
    }

    #[test]
    fn names() {
        assert_eq!(Registry::parse_name("f"), ("f".into(), None));
        assert_eq!(
            Registry::parse_name("f:$LATEST"),
            ("f".into(), Some("$LATEST".into()))
        );
        assert_eq!(
            Registry::parse_name("arn:aws:lambda:us-east-1:123456789012:function:f:1"),
            ("f".into(), Some("1".into()))
        );
        assert_eq!(
            Registry::parse_name("123456789012:function:f"),
            ("f".into(), None)
        );
    }
}

/// End to end through a real runtime client; needs `BATON_PYTHON` pointing
/// at a Python with `awslambdaric` (skipped otherwise).
#[cfg(test)]
mod python_tests {
    use super::*;
    use std::io::Write;

    fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            for (name, text) in files {
                w.start_file(*name, zip::write::SimpleFileOptions::default())
                    .unwrap();
                w.write_all(text.as_bytes()).unwrap();
            }
            w.finish().unwrap();
        }
        buf.into_inner()
    }

    fn spec(name: &str, code: &str, timeout: u64) -> CreateSpec {
        CreateSpec {
            name: name.into(),
            runtime: "python3.12".into(),
            role: "arn:aws:iam::123456789012:role/r".into(),
            handler: "app.handler".into(),
            description: String::new(),
            timeout: Some(timeout),
            memory_size: None,
            environment: BTreeMap::new(),
            code: Code::Zip(zip_of(&[("app.py", code)])),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn versions_and_aliases_run_frozen_code_and_survive_a_restart() {
        if std::env::var_os("BATON_PYTHON").is_none() {
            eprintln!("BATON_PYTHON not set; skipping");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings {
            data_dir: Some(dir.path().to_path_buf()),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            endpoint_url: "http://127.0.0.1:1".into(),
            python: None,
        };
        let reg = Registry::open(settings.clone()).unwrap();
        let code = |answer: &str| {
            Code::Zip(zip_of(&[(
                "app.py",
                &format!(
                    "import os\ndef handler(e, c):\n    return ['{answer}', os.environ['AWS_LAMBDA_FUNCTION_VERSION'], c.invoked_function_arn]\n"
                ),
            )]))
        };
        let mut first = spec("f", "", 3);
        first.code = code("one");
        reg.create(first).unwrap();
        let v1 = reg.publish_version("f", Some("first".into())).unwrap();
        assert_eq!((v1.version, v1.description.as_str()), (Some(1), "first"));
        // Nothing changed: the same version comes back.
        assert_eq!(reg.publish_version("f", None).unwrap().version, Some(1));
        reg.update_code("f", code("two")).unwrap();
        assert_eq!(reg.publish_version("f", None).unwrap().version, Some(2));
        reg.update_code("f", code("three")).unwrap();
        reg.create_alias("f", "prod", "1", String::new()).unwrap();
        assert!(matches!(
            reg.create_alias("f", "prod", "2", String::new()),
            Err(FnError::Conflict(_))
        ));
        assert!(matches!(
            reg.create_alias("f", "beta", "7", String::new()),
            Err(FnError::NotFound(_))
        ));
        assert!(matches!(
            reg.create_alias("f", "12", "1", String::new()),
            Err(FnError::InvalidParameter(_))
        ));

        let call = |reg: Registry, reference: &'static str| async move {
            let r = reg
                .invoke(reference, Bytes::from_static(b"{}"), None, false)
                .await
                .unwrap();
            assert!(!r.function_error, "{r:?}");
            (
                serde_json::from_slice::<Value>(&r.payload).unwrap(),
                r.executed_version,
            )
        };
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:f";
        assert_eq!(
            call(reg.clone(), "f").await,
            (json!(["three", "$LATEST", arn]), "$LATEST".to_string())
        );
        assert_eq!(
            call(reg.clone(), "f:2").await,
            (json!(["two", "2", format!("{arn}:2")]), "2".to_string())
        );
        assert_eq!(
            call(reg.clone(), "f:prod").await,
            (json!(["one", "1", format!("{arn}:prod")]), "1".to_string())
        );
        reg.update_alias("f", "prod", Some("2".into()), None)
            .unwrap();
        assert_eq!(call(reg.clone(), "f:prod").await.0[0], "two");
        assert!(matches!(
            reg.invoke("f:9", Bytes::from_static(b"{}"), None, false).await,
            Err(FnError::NotFound(m)) if m.ends_with("function:f:9")
        ));

        drop(reg);
        let reg = Registry::open(settings).unwrap();
        let versions: Vec<String> = reg
            .list_versions("f")
            .unwrap()
            .iter()
            .map(FunctionConfig::version_name)
            .collect();
        assert_eq!(versions, ["$LATEST", "1", "2"]);
        assert_eq!(reg.get_alias("f", "prod").unwrap().function_version, "2");
        assert_eq!(
            call(
                reg.clone(),
                "arn:aws:lambda:us-east-1:123456789012:function:f:1"
            )
            .await
            .0[0],
            "one"
        );
        reg.delete_alias("f", "prod").unwrap();
        assert!(reg.list_aliases("f").unwrap().is_empty());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn python_invoke_error_timeout_import() {
        if std::env::var_os("BATON_PYTHON").is_none() {
            eprintln!("BATON_PYTHON not set; skipping");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::open(Settings {
            data_dir: Some(dir.path().to_path_buf()),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            endpoint_url: "http://127.0.0.1:1".into(),
            python: None,
        })
        .unwrap();
        reg.create(spec(
            "ok",
            "import os\nclass CustomError(Exception): pass\ndef handler(event, context):\n    print('hello', event)\n    if 'boom' in event:\n        raise CustomError('bad')\n    return {'got': event, 'fn': context.function_name, 'region': os.environ['AWS_DEFAULT_REGION']}\n",
            3,
        ))
        .unwrap();
        let r = reg
            .invoke("ok", Bytes::from_static(br#"{"a": 1}"#), None, true)
            .await
            .unwrap();
        assert!(!r.function_error, "{:?}", r);
        let v: Value = serde_json::from_slice(&r.payload).unwrap();
        assert_eq!(
            v,
            json!({"got": {"a": 1}, "fn": "ok", "region": "us-east-1"})
        );
        assert!(r.log.contains("hello {'a': 1}"), "{}", r.log);
        assert!(r.log.starts_with("START RequestId: "));
        let warm = Instant::now();
        let r = reg
            .invoke("ok", Bytes::from_static(br#"{"boom": 1}"#), None, false)
            .await
            .unwrap();
        assert!(warm.elapsed() < Duration::from_millis(500));
        assert!(r.function_error);
        let v: Value = serde_json::from_slice(&r.payload).unwrap();
        assert_eq!(v["errorType"], "CustomError");
        assert_eq!(v["errorMessage"], "bad");
        assert!(reg.logs("ok").unwrap().len() >= 6);

        // Warm invocations through the Runtime API (trivial handler).
        let mut times = Vec::new();
        for _ in 0..50 {
            let t = Instant::now();
            let r = reg
                .invoke("ok", Bytes::from_static(b"{}"), None, false)
                .await
                .unwrap();
            times.push(t.elapsed());
            assert!(!r.function_error);
        }
        times.sort();
        eprintln!("warm invoke p50 = {:?}", times[25]);
        assert!(times[25] < Duration::from_millis(50));

        reg.create(spec(
            "slow",
            "import time\ndef handler(e, c):\n    time.sleep(30)\n",
            1,
        ))
        .unwrap();
        let r = reg
            .invoke("slow", Bytes::from_static(b"{}"), None, false)
            .await
            .unwrap();
        let v: Value = serde_json::from_slice(&r.payload).unwrap();
        assert_eq!(v["errorType"], "Sandbox.Timedout");
        assert!(
            v["errorMessage"]
                .as_str()
                .unwrap()
                .ends_with("Task timed out after 1.00 seconds")
        );

        reg.create(spec("broken", "def handler(e, c)\n    return 1\n", 3))
            .unwrap();
        let r = reg
            .invoke("broken", Bytes::from_static(b"{}"), None, false)
            .await
            .unwrap();
        let v: Value = serde_json::from_slice(&r.payload).unwrap();
        assert_eq!(v["errorType"], "Runtime.UserCodeSyntaxError", "{v}");

        reg.create(spec(
            "exits",
            "import os\ndef handler(e, c):\n    os._exit(3)\n",
            3,
        ))
        .unwrap();
        let r = reg
            .invoke("exits", Bytes::from_static(b"{}"), None, false)
            .await
            .unwrap();
        let v: Value = serde_json::from_slice(&r.payload).unwrap();
        assert_eq!(v["errorType"], "Runtime.ExitError", "{v}");
        assert!(
            v["errorMessage"]
                .as_str()
                .unwrap()
                .ends_with("exit status 3")
        );

        // Reopening finds the stored function.
        drop(reg);
        let reg = Registry::open(Settings {
            data_dir: Some(dir.path().to_path_buf()),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            endpoint_url: "http://127.0.0.1:1".into(),
            python: None,
        })
        .unwrap();
        assert_eq!(reg.list().len(), 4);
        assert!(matches!(reg.get("nope"), Err(FnError::NotFound(_))));
    }
}
