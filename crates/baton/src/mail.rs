//! `baton mail`: the e-mails Baton's SNS delivered to its built-in mailbox
//! (when no `--smtp-url` is set), from a running server or a data
//! directory.

use std::path::PathBuf;

use anyhow::{Context, Result};

#[derive(clap::Args, Debug, Clone)]
pub struct MailArgs {
    /// The running server to ask (`GET /_baton/mailbox`).
    #[arg(long, default_value = "http://127.0.0.1:4566")]
    pub endpoint: String,
    /// Read the mailbox from this data directory instead (the server may
    /// be running or not).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Print the messages as JSON (the shape of `GET /_baton/mailbox`).
    #[arg(long)]
    pub json: bool,
    /// Empty the mailbox after listing it (running server only).
    #[arg(long, conflicts_with = "data_dir")]
    pub clear: bool,
}

pub fn mail(args: MailArgs) -> Result<()> {
    let items = match &args.data_dir {
        Some(dir) => topics::service::read_mailbox(dir)
            .with_context(|| format!("cannot read the mailbox in {}", dir.display()))?,
        None => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?;
            runtime
                .block_on(topics::service::fetch_mailbox(&args.endpoint, args.clear))
                .with_context(|| format!("cannot list the mailbox of {}", args.endpoint))?
        }
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"messages": items}))?
        );
        return Ok(());
    }
    if items.is_empty() {
        println!("(no mail)");
    }
    for m in items {
        println!(
            "Date: {}\nFrom: {}\nTo: {}\nSubject: {}\nTopic: {}\n\n{}\n",
            m.sent_at, m.from, m.to, m.subject, m.topic_arn, m.body
        );
        println!("{}", "-".repeat(72));
    }
    Ok(())
}
