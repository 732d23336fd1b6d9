//! `baton serve`: every AWS API Baton speaks, on one port, over a durable
//! store.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use engine::durable::{Engine, EngineConfig, NoIntegrations};
use store::{MemoryStore, PostgresOptions, PostgresStore, SqliteStore, Store};

#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,
    /// Port for every service (4566 is where local AWS tooling looks).
    #[arg(long, default_value_t = 4566)]
    pub port: u16,
    /// Where the embedded store keeps its data.
    #[arg(long, default_value = ".baton")]
    pub data_dir: PathBuf,
    /// Keep everything in memory (nothing survives a restart).
    #[arg(long, conflicts_with = "database")]
    pub in_memory: bool,
    /// Keep state machines, activities and executions in PostgreSQL instead
    /// of the embedded SQLite file: a `postgres://user:password@host/db` URL
    /// or a `host=… user=… dbname=…` string. Lambda functions, DynamoDB
    /// tables and SNS topics stay in --data-dir.
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
    /// With --database: keep Baton's tables in this schema (created if
    /// missing), so one database can hold several independent Batons.
    #[arg(long, value_name = "NAME", requires = "database")]
    pub database_schema: Option<String>,
    /// With --database: this node's id among the nodes sharing the
    /// database. By default it is kept in --data-dir, so a restarted node
    /// resumes its own executions at once.
    #[arg(long, value_name = "ID", requires = "database")]
    pub node_id: Option<String>,
    /// With --database: the URL the other nodes reach this one at (they
    /// forward StopExecution, SendTask* and UpdateMapRun for executions
    /// running here). Default: http://<bind>:<port>.
    #[arg(long, value_name = "URL", requires = "database")]
    pub advertise_url: Option<String>,
    /// With --database: seconds a node may stay silent before another node
    /// takes its running executions over.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 10.0,
        requires = "database"
    )]
    pub node_lease: f64,
    /// Run execution time faster than real time (60 = a minute per second).
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// `virtual`: time stands still while work is in flight and jumps to the
    /// next timer when nothing else can happen (fast test suites with Waits).
    #[arg(long, value_enum, default_value_t = Clock::Real)]
    pub clock: Clock,
    /// Region in the ARNs Baton mints.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// Account id in the ARNs Baton mints.
    #[arg(long, default_value = "123456789012")]
    pub account: String,
    /// Require AWS Signature Version 4 on every request, signed with one of
    /// the access keys in FILE. FILE is a JSON array:
    /// `[{"accessKeyId": "AKID", "secretAccessKey": "SECRET"}]`, each entry
    /// optionally with `"sessionToken"` (then requests with that key must
    /// send it as X-Amz-Security-Token). Any region is accepted, with the
    /// signing names states, dynamodb, sns and lambda, and clocks up to 15
    /// minutes apart. Without --auth, any credentials are accepted.
    #[arg(long, value_name = "FILE")]
    pub auth: Option<PathBuf>,
    /// Send SNS e-mail over SMTP instead of into Baton's mailbox:
    /// `smtp://host:port` (plain), `smtp://host:port?tls=required`
    /// (STARTTLS), `smtps://user:password@host:port` (TLS with auth).
    #[arg(long, value_name = "URL")]
    pub smtp_url: Option<String>,
    /// Sender address of SNS e-mail.
    #[arg(long, default_value = "no-reply@sns.amazonaws.com")]
    pub mail_from: String,
    /// Confirm SNS e-mail and HTTP/S subscriptions at once, without a
    /// confirmation message (scripts, tests).
    #[arg(long)]
    pub auto_confirm: bool,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    Real,
    Virtual,
}

pub fn serve(args: ServeArgs) -> Result<()> {
    init_tracing();
    runtime()?.block_on(async {
        let baton = start(&args).await?;
        println!("{}", baton.banner);
        let engine = baton.engine.clone();
        let (fenced_tx, mut fenced_rx) = tokio::sync::oneshot::channel();
        let stop = async move {
            tokio::select! {
                _ = shutdown_signal() => {}
                reason = engine.fenced() => { let _ = fenced_tx.send(reason); }
            }
        };
        baton.serve_until(stop).await?;
        if let Ok(reason) = fenced_rx.try_recv() {
            anyhow::bail!(
                "this node stopped because {reason}; its executions now run on another node. Restart it to rejoin."
            );
        }
        eprintln!("Baton stopped; all writes finished.");
        Ok(())
    })
}

/// Logs to stderr, filtered by `BATON_LOG` (default `warn`).
pub fn init_tracing() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BATON_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// A Baton with every service wired and its port bound, not yet answering
/// requests. `baton serve` and `baton demo` both start through here.
pub struct Baton {
    /// The address actually bound (`--port 0` picks a free port).
    pub local: SocketAddr,
    /// The "Baton ready on …" line.
    pub banner: String,
    engine: Engine,
    state: api::AppState,
    listener: tokio::net::TcpListener,
}

impl Baton {
    /// Answers requests until `shutdown` resolves, then finishes the
    /// engine's writes.
    pub async fn serve_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        api::serve(self.listener, self.state, shutdown).await?;
        self.engine.shutdown().await;
        Ok(())
    }
}

pub async fn start(args: &ServeArgs) -> Result<Baton> {
    let began = Instant::now();
    let credentials = match &args.auth {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read --auth file {}", path.display()))?;
            let keys = api::Credentials::parse_list(&text)
                .map_err(|e| anyhow::anyhow!("--auth file {}: {e}", path.display()))?;
            Some(keys)
        }
    };
    // Bound first, so that functions are told the real port (also with --port 0).
    let addr: SocketAddr = format!("{}:{}", args.bind, args.port)
        .parse()
        .with_context(|| format!("--bind {} is not an IP address", args.bind))?;
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr} (is another Baton running? try --port)")
    })?;
    let local = listener.local_addr()?;
    // Absolute, because function runtimes run in their own folders: a
    // relative `.baton/python/bin/python` would not be found from there.
    let data_dir = std::path::absolute(&args.data_dir).with_context(|| {
        format!(
            "--data-dir {} is not a usable path",
            args.data_dir.display()
        )
    })?;
    let store: Arc<dyn Store> = if args.in_memory {
        // Bounded: a long-running throwaway server keeps the latest 10,000
        // closed executions (about 12 KB each), not all of them.
        Arc::new(MemoryStore::with_retention(10_000))
    } else if let Some(url) = &args.database {
        let node_id = match &args.node_id {
            Some(id) => id.clone(),
            None => node_id_in(&data_dir)?,
        };
        let options = PostgresOptions {
            schema: args.database_schema.clone(),
            node_id: Some(node_id),
            ..PostgresOptions::new(url.clone())
        };
        // Connecting blocks; keep it off the runtime's threads.
        let store = tokio::task::spawn_blocking(move || PostgresStore::open(options))
            .await
            .context("the PostgreSQL connection task failed")?
            .context("cannot open the PostgreSQL store (--database)")?;
        Arc::new(store)
    } else {
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("cannot create {}", data_dir.display()))?;
        let path = data_dir.join("baton.sqlite3");
        Arc::new(
            SqliteStore::open(&path, Default::default())
                .with_context(|| format!("cannot open the store at {}", path.display()))?,
        )
    };
    // Lambda functions' boto3 calls come back to this server, and other
    // nodes reach it here.
    let endpoint_host = match args.bind.as_str() {
        "0.0.0.0" | "::" | "[::]" => "127.0.0.1".to_string(),
        h if h.contains(':') => format!("[{h}]"),
        h => h.to_string(),
    };
    if !(args.node_lease.is_finite() && args.node_lease > 0.0) {
        anyhow::bail!("--node-lease must be a positive number of seconds");
    }
    let config = EngineConfig {
        region: args.region.clone(),
        account: args.account.clone(),
        time_scale: args.time_scale,
        virtual_clock: args.clock == Clock::Virtual,
        node_url: args
            .advertise_url
            .clone()
            .unwrap_or_else(|| format!("http://{endpoint_host}:{}", local.port())),
        node_lease: std::time::Duration::from_secs_f64(args.node_lease),
    };
    let functions = functions::Registry::open(functions::Settings {
        data_dir: (!args.in_memory).then(|| data_dir.clone()),
        region: args.region.clone(),
        account: args.account.clone(),
        endpoint_url: format!("http://{endpoint_host}:{}", local.port()),
        python: None,
    })
    .context("cannot open the functions")?;
    let tables_storage: Arc<dyn tables::Storage> = if args.in_memory {
        Arc::new(tables::MemoryStorage::new())
    } else {
        let path = data_dir.join("tables.sqlite3");
        Arc::new(
            tables::SqliteStorage::open(&path)
                .with_context(|| format!("cannot open the tables at {}", path.display()))?,
        )
    };
    let tables = Arc::new(
        tables::Tables::open(tables_storage, args.region.clone(), args.account.clone())
            .context("cannot load the tables")?,
    );
    // SNS topics (their links point back to this server).
    let mut sns = topics::Settings::new(
        args.region.clone(),
        args.account.clone(),
        format!("http://{endpoint_host}:{}", local.port()),
    );
    sns.auto_confirm = args.auto_confirm;
    sns.smtp_url = args.smtp_url.clone();
    sns.mail_from = args.mail_from.clone();
    sns.db_path = (!args.in_memory).then(|| data_dir.join("topics.sqlite3"));
    let topics = topics::Topics::open(sns).context("cannot open the topics")?;
    topics
        .start(Some(functions.clone()))
        .context("cannot start SNS deliveries")?;
    // Task dispatch: sns:publish, then Lambda, then DynamoDB, then "not implemented".
    let dynamodb = tables::TablesDispatcher::new(Arc::clone(&tables), Arc::new(NoIntegrations));
    let lambda = functions::LambdaDispatcher::new(functions.clone(), Arc::new(dynamodb));
    let dispatcher = topics::SnsDispatcher::new(topics.clone(), Arc::new(lambda));
    let engine = Engine::open(Arc::clone(&store), config, Arc::new(dispatcher))
        .await
        .context("cannot open the engine")?;
    let auth = match &credentials {
        None => String::new(),
        Some(keys) => format!(", SigV4 required: {} access keys", keys.len()),
    };
    let mut api_config = api::ApiConfig::for_engine(&engine);
    api_config.credentials = credentials;
    let state = api::AppState::new(engine.clone(), api_config)
        .with_tables(tables)
        .with_functions(functions)
        .with_topics(topics);
    let banner = format!(
        "Baton ready on http://{local} ({} store, {} running executions resumed, {} ms{auth})",
        if args.in_memory {
            "in-memory"
        } else if args.database.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        engine.running(),
        began.elapsed().as_millis()
    );
    Ok(Baton {
        local,
        banner,
        engine,
        state,
        listener,
    })
}

/// The node id kept in `data_dir/node-id`, created on first use: the same
/// data directory is the same node.
fn node_id_in(data_dir: &std::path::Path) -> Result<String> {
    let path = data_dir.join("node-id");
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => return Ok(id.trim().to_string()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let id = uuid::Uuid::new_v4().to_string();
    std::fs::write(&path, &id).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(id)
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
