//! `opengate`: check, list and call the APIs of the specs, run the mock gateway,
//! import doc tables, export OpenAPI.

mod auth;
mod call;
mod import;
mod json_text;
mod mock;
mod openapi;
mod push;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use opengate_codegen::ir;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "opengate",
    version,
    about = "Typed bindings for Chinese e-commerce open platforms: specs, calls, mock gateway"
)]
struct Cli {
    /// The specs folder (default: ./specs, else the project's specs/).
    #[arg(long, global = true)]
    specs: Option<PathBuf>,
    /// The config file (default: $OPENGATE_CONFIG, then ./opengate.toml).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Validate specs; print every error as `path:line:col: message`.
    Check { dir: Option<PathBuf> },
    /// One line per API: `<platform> <name> <version> <METHOD>`.
    List {
        #[arg(long)]
        platform: Option<String>,
    },
    /// Build, sign and send one call using the specs at run time.
    Call {
        api: String,
        #[arg(long)]
        version: Option<String>,
        /// A param, `key=value` (repeatable).
        #[arg(short = 'p', long = "param", value_name = "KEY=VALUE")]
        params: Vec<String>,
        /// Params as a JSON object.
        #[arg(long)]
        body: Option<String>,
        /// Call with this shop's user token (a grant: Youzan `kdt_id`, Doudian `shop_id`...)
        /// instead of the configured shop's.
        #[arg(long)]
        shop: Option<String>,
        /// Read every page of a paged API (its spec's `paging:`): one JSON line per item on
        /// stdout, a progress bar on stderr when it is a terminal.
        #[arg(long)]
        all: bool,
        /// With `--all`: stop after this many pages.
        #[arg(long, value_name = "N", requires = "all")]
        max_pages: Option<u64>,
    },
    /// A tool app's authorization of a shop: the URL to open, the exchange of the code the
    /// platform sends back (saved in the token store), and what the store holds.
    Auth {
        #[command(subcommand)]
        step: AuthStep,
    },
    /// Run the mock gateway.
    Mock {
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: String,
    },
    /// Turn an API doc table (markdown) into a spec (YAML on stdout), or, with `--from`, a
    /// platform's whole catalog into specs under `--out`.
    Import {
        /// The doc table (`-` for stdin), or with `--from` the catalog folder or file.
        file: String,
        /// The catalog's format, e.g. top-metadata (an unknown one is answered with the list).
        #[arg(long)]
        from: Option<String>,
        /// The platform folder to write into, e.g. `specs/taobao` (with `--from`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The platform the APIs belong to (for `openapi`, which can describe any).
        #[arg(long)]
        platform: Option<String>,
        /// A second source some formats use: `youzan-docs` takes the current index here,
        /// `aop-php-sdk` the official 1688 Python SDK (its real API names).
        #[arg(long)]
        index: Option<PathBuf>,
        /// Another catalog of the same platform, `FORMAT=PATH`, read too and merged: an API in
        /// several is one spec, each fact from the first catalog (`--from`, then each `--and`)
        /// that states it rather than guesses it.
        #[arg(long = "and", value_name = "FORMAT=PATH")]
        and: Vec<String>,
    },
    /// Push messages: check a delivery's signature, or receive deliveries and print them.
    Push {
        #[command(subcommand)]
        step: PushStep,
    },
    /// Write an OpenAPI 3.1 document (JSON) for the specs.
    Openapi {
        #[arg(long)]
        platform: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum PushStep {
    /// Check a delivery with the app's credentials from the config: exit 0 and its messages as
    /// JSON lines when the signature holds, 1 when it does not, 3 for bad input.
    Verify {
        platform: String,
        /// The raw body as received (`-` for stdin).
        #[arg(long)]
        body_file: PathBuf,
        /// A header of the delivery, `NAME=VALUE` (repeatable).
        #[arg(long = "header", value_name = "NAME=VALUE")]
        headers: Vec<String>,
        /// The query string of the delivery's URL, without `?` (1688 may sign params there).
        #[arg(long)]
        query: Option<String>,
    },
    /// Receive pushes at `/push/<platform>` for every platform with push credentials in the
    /// config (also at `/` with one), verified and deduplicated as `[push]` says; each message
    /// is a JSON line on stdout.
    Listen {
        /// Only this platform.
        platform: Option<String>,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
    },
}

#[derive(Subcommand, Debug)]
enum AuthStep {
    /// Print the URL a merchant opens to authorize the app.
    Url {
        platform: String,
        /// Where the platform sends the code (registered with the app).
        #[arg(long)]
        redirect_uri: String,
        /// Comes back with the code, for the receiver to check.
        #[arg(long, default_value = "")]
        state: String,
    },
    /// Exchange a code for the shop's token and save it in the token store; prints the shop.
    Exchange {
        platform: String,
        #[arg(long)]
        code: String,
        #[arg(long)]
        redirect_uri: String,
    },
    /// Renew a shop's refresh token where the platform has a renewal (Douyin).
    Renew {
        platform: String,
        #[arg(long)]
        shop: String,
    },
    /// The shops whose tokens the store holds, one per line.
    Shops { platform: String },
    /// What the token store holds for a shop (never the token itself), as JSON.
    Show {
        platform: String,
        /// The shop (default: the configured one).
        #[arg(long)]
        shop: Option<String>,
    },
}

fn default_specs() -> PathBuf {
    let local = PathBuf::from("specs");
    if local.is_dir() {
        local
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs")
    }
}

/// A failure with its exit code and one-line message.
struct Fail(u8, String);

/// `import --help`'s list of formats, from the importers' one registry.
fn formats_help() -> String {
    let mut text = String::from("Formats (--from):\n");
    for f in opengate_import::FORMATS {
        text.push_str(&format!("  {:<16} {:<8} {}\n", f.name, f.platform, f.reads));
    }
    text
}

fn main() -> ExitCode {
    let parsed = Cli::command()
        .mut_subcommand("import", |c| c.after_help(formats_help()))
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 3 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    log_to_stderr();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail(code, msg)) => {
            if !msg.is_empty() {
                eprintln!("{msg}");
            }
            ExitCode::from(code)
        }
    }
}

/// With `RUST_LOG` set (`trace`, `opengate=debug,warn`, ...), the client's logs go to stderr:
/// retries, token refreshes, the string each signature was computed over (credentials and buyer
/// data masked). A value that is not a filter is said once, and nothing is logged.
fn log_to_stderr() {
    let Ok(filter) = std::env::var("RUST_LOG") else {
        return;
    };
    match filter.parse::<tracing_subscriber::filter::Targets>() {
        Ok(targets) => {
            use tracing_subscriber::layer::{Layer, SubscriberExt};
            let subscriber = tracing_subscriber::registry().with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_filter(targets),
            );
            let _ = tracing::subscriber::set_global_default(subscriber);
        }
        Err(e) => eprintln!("note: RUST_LOG `{filter}` is not a log filter ({e}); logging nothing"),
    }
}

fn display(p: &Path) -> String {
    p.display().to_string().trim_end_matches('/').to_owned()
}

fn load(specs: &Path) -> Result<ir::Corpus, Fail> {
    opengate_codegen::load(specs, &display(specs))
        .map(|(_, ir)| ir)
        .map_err(|d| Fail(1, d.to_string()))
}

fn run(cli: Cli) -> Result<(), Fail> {
    let specs = cli.specs.clone().unwrap_or_else(default_specs);
    match cli.command {
        Command::Check { dir } => {
            let dir = dir.unwrap_or(specs);
            let corpus = load(&dir)?;
            let n: usize = corpus.platforms.iter().map(|p| p.apis.len()).sum();
            println!("ok: {n} APIs in {} platforms", corpus.platforms.len());
            Ok(())
        }
        Command::List { platform } => {
            let corpus = load(&specs)?;
            let mut out = std::io::stdout().lock();
            for p in corpus
                .platforms
                .iter()
                .filter(|p| platform.as_deref().is_none_or(|f| f == p.name))
            {
                for a in &p.apis {
                    // A closed pipe (`opengate list | head`) ends the listing, not the process.
                    if writeln!(out, "{} {} {} {}", p.name, a.name, a.version, a.method).is_err() {
                        return Ok(());
                    }
                }
            }
            Ok(())
        }
        Command::Call {
            api,
            version,
            params,
            body,
            shop,
            all,
            max_pages,
        } => call::call(
            &specs,
            cli.config.as_deref(),
            &api,
            version.as_deref(),
            &params,
            body.as_deref(),
            call::Run {
                shop,
                all,
                max_pages,
            },
        ),
        Command::Auth { step } => auth::auth(&specs, cli.config.as_deref(), step),
        Command::Mock { listen } => mock::mock(&specs, cli.config.as_deref(), &listen),
        Command::Import {
            file,
            from,
            out,
            platform,
            index,
            and,
        } => import::run(
            &file,
            from.as_deref(),
            out.as_deref(),
            platform.as_deref(),
            index.as_deref(),
            &and,
        ),
        Command::Push { step } => {
            // The folders' protocols and messages only: no API is called.
            let corpus = opengate_codegen::load_top(&specs, &display(&specs))
                .map_err(|d| Fail(3, d.to_string()))?;
            let config = opengate::Config::load(cli.config.as_deref())
                .map_err(|e| Fail(3, e.to_string()))?;
            let platforms = folders(&corpus);
            match step {
                PushStep::Verify {
                    platform,
                    body_file,
                    headers,
                    query,
                } => push::verify(
                    &config,
                    &platforms,
                    &platform,
                    &body_file,
                    &headers,
                    query.as_deref(),
                ),
                PushStep::Listen { platform, listen } => {
                    push::listen(&config, &platforms, platform.as_deref(), &listen)
                }
            }
        }
        Command::Openapi { platform } => {
            let corpus = load(&specs)?;
            let doc = openapi::document(&corpus, platform.as_deref());
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
            Ok(())
        }
    }
}

/// The client of the config, for the platform folders of the specs.
/// Each platform folder's protocol, so that `[tmall]` configures a `specs/tmall` of protocol taobao-top.
fn folders(corpus: &ir::Corpus) -> Vec<(&str, &str)> {
    corpus
        .platforms
        .iter()
        .map(|p| (p.name.as_str(), p.protocol.as_str()))
        .collect()
}

fn client_of(corpus: &ir::Corpus, config: Option<&Path>) -> Result<opengate::Client, Fail> {
    let config = opengate::Config::load(config).map_err(|e| Fail(3, e.to_string()))?;
    let platforms = folders(corpus);
    config
        .client_builder_for(&platforms)
        .and_then(|b| b.build())
        .map_err(|e| Fail(3, opengate::error_chain(&e)))
}

fn runtime() -> Result<tokio::runtime::Runtime, Fail> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Fail(3, format!("cannot start the async runtime: {e}")))
}
