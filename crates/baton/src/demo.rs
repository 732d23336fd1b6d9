//! `baton demo`: the seed's lottery tutorial in one command. Starts Baton
//! exactly as `baton serve` does, deploys the tutorial's tables, functions,
//! topic and state machine through Baton's own APIs (as a user with the CLI
//! would), runs a draw state by state, shows the winners, the mail and the
//! console link, and keeps serving until Ctrl-C.

mod aws;
mod deploy;
mod draw;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use crate::serve::{self, ServeArgs};

#[derive(clap::Args, Debug, Clone)]
pub struct DemoArgs {
    /// Port for every service, as for `serve`.
    #[arg(long, default_value_t = 4566)]
    pub port: u16,
    /// Where the embedded store keeps its data (reused by the next run).
    #[arg(long, default_value = ".baton")]
    pub data_dir: PathBuf,
    /// Keep everything in memory (nothing survives the run).
    #[arg(long)]
    pub in_memory: bool,
    /// Draw with an `exception` key in the input: Lottery-InputWinners raises
    /// CustomError, which the state machine catches into `Failed`.
    #[arg(long)]
    pub exception: bool,
    /// Clear past winners (table Lottery-Winners) before drawing.
    #[arg(long)]
    pub reset: bool,
    /// Run one draw and exit instead of serving (for scripts).
    #[arg(long)]
    pub no_serve: bool,
    /// Instead of one draw, time N draws with warm functions
    /// (StartExecution → SUCCEEDED) and exit. Clears past winners.
    #[arg(long, value_name = "N")]
    pub bench: Option<usize>,
    /// The address subscribed to the topic Lottery-Notification.
    #[arg(long, default_value = "lottery-winners@example.com")]
    pub email: String,
}

pub fn demo(args: DemoArgs) -> Result<ExitCode> {
    serve::init_tracing();
    serve::runtime()?.block_on(run(args))
}

async fn run(args: DemoArgs) -> Result<ExitCode> {
    let serve_args = ServeArgs {
        bind: "127.0.0.1".into(),
        port: args.port,
        data_dir: args.data_dir.clone(),
        in_memory: args.in_memory,
        database: None,
        database_schema: None,
        node_id: None,
        advertise_url: None,
        node_lease: 10.0,
        time_scale: 1.0,
        clock: serve::Clock::Real,
        region: "us-east-1".into(),
        account: "123456789012".into(),
        auth: None,
        smtp_url: None,
        mail_from: "no-reply@sns.amazonaws.com".into(),
        // Confirmed the way a reader of the tutorial does: through the link.
        auto_confirm: false,
    };
    let account = serve_args.account.clone();
    // A second `baton demo` while the first one serves: draw on that one.
    let running = format!("http://127.0.0.1:{}", args.port);
    if args.port != 0 && is_baton(&running).await {
        println!("A Baton already serves on {running}: deploying to it and drawing there.");
        let client = aws::Client::new(running);
        let result = tokio::select! {
            r = lottery(&client, &args, &account) => r,
            _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
        };
        return Ok(exit_code(result));
    }
    let baton = serve::start(&serve_args).await?;
    println!("{}", baton.banner);
    let endpoint = format!("http://{}", baton.local);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(baton.serve_until(async move {
        tokio::select! {
            _ = stopped => {},
            _ = serve::shutdown_signal() => {},
        }
    }));
    let client = aws::Client::new(endpoint.clone());
    let result = tokio::select! {
        r = lottery(&client, &args, &account) => r,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    let broken = result.is_err();
    let code = exit_code(result);
    if args.no_serve || args.bench.is_some() || broken {
        let _ = stop.send(());
    } else {
        println!(
            "\nBaton keeps serving on {endpoint} (aws --endpoint-url {endpoint} …). \
             `baton demo` in another terminal draws again on it. Ctrl-C to stop."
        );
    }
    server.await??;
    eprintln!("Baton stopped; all writes finished.");
    Ok(code)
}

/// 0 when the draw ended as intended, 1 when it did not, 2 on errors.
fn exit_code(result: Result<bool>) -> ExitCode {
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Whether a Baton answers on `endpoint` (its mailbox is Baton's own).
async fn is_baton(endpoint: &str) -> bool {
    let client = aws::Client::new(endpoint);
    let probe = client.get("mailbox", "/_baton/mailbox");
    match tokio::time::timeout(std::time::Duration::from_secs(2), probe).await {
        Ok(Ok((200, body))) => body.contains("\"messages\""),
        _ => false,
    }
}

/// Deploys, then draws (or benchmarks). `Ok(true)` when the draw ended as
/// intended: SUCCEEDED, or FAILED through CustomError with `--exception`.
async fn lottery(c: &aws::Client, args: &DemoArgs, account: &str) -> Result<bool> {
    let deployed = deploy::deploy(c, account, &args.email).await?;
    if args.reset {
        let n = draw::reset(c).await?;
        println!("  ✓ --reset: {n} past winners cleared from Lottery-Winners");
    }
    if let Some(n) = args.bench {
        draw::bench(c, &deployed, n).await?;
        return Ok(true);
    }
    let mail_before = deploy::mailbox(c).await?.len();
    let outcome = draw::run(c, &deployed, args.exception).await?;
    draw::report(c, &deployed, &outcome, mail_before, args.exception).await?;
    Ok(if args.exception {
        outcome.status == "FAILED"
    } else {
        outcome.status == "SUCCEEDED"
    })
}
