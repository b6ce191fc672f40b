//! `commons`: the stewards' command line. A thin adapter: it parses arguments, reads key files,
//! calls the ledger and its store, and prints tables or JSON. Exit codes: 0 success, 1 refused
//! by the ledger rules or audit found faults, 2 could not run.

mod bench;
mod bench_governance;
mod bench_link;
mod bench_market;
mod bench_web;
mod commands;
mod remote;
mod serve;
mod tally;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Keys, circles, payments and audits of a Commons ledger.
#[derive(Debug, Parser)]
#[command(name = "commons", version, about, propagate_version = true)]
pub struct Cli {
    /// Database: a SQLite file path, a sqlite: URL, or a postgres:// URL.
    #[arg(long, global = true, env = "COMMONS_DB", default_value = "commons.db")]
    db: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Make a new secret key file (mode 0600) and print its public key.
    Keygen {
        #[arg(long)]
        out: PathBuf,
    },
    /// Create and list circles.
    #[command(subcommand)]
    Circle(CircleCommand),
    /// Open accounts for members.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Add or remove steward keys.
    #[command(subcommand)]
    Steward(StewardCommand),
    /// Move an account to a new key.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Change a member's floor and ceiling (a steward-signed entry).
    Limits(LimitsArgs),
    /// Pay a member.
    Pay(PayArgs),
    /// Ask a member to pay you; they accept or decline.
    Request(RequestArgs),
    /// Accept a payment request (entry SEQ): this signs the transfer.
    Accept(RespondArgs),
    /// Decline (as payer) or withdraw (as payee) a payment request.
    Decline(RespondArgs),
    /// Undo a transfer with a new, referencing transfer (nothing is ever edited or deleted).
    Reverse(RespondArgs),
    /// Show balances, floors and ceilings.
    Balance {
        slug: String,
        /// Only this account.
        pubkey: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show the most recent entries.
    Log {
        slug: String,
        #[arg(long, default_value_t = 20)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Write the whole signed ledger as JSON Lines (`export SLUG`), or a vote's signed ballots
    /// (`export ballots SLUG/NUMBER`).
    Export(ExportArgs),
    /// Save the latest signed tree head, to check later that the log was only appended to.
    Head {
        slug: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Merkle proofs against the latest signed tree head, as JSON: that an entry is in the log
    /// (--entry), or that a tree head saved earlier is a prefix of today's log (--since).
    Prove {
        slug: String,
        #[arg(long, required_unless_present = "since", conflicts_with = "since")]
        entry: Option<u64>,
        /// A tree head saved earlier with `commons head`.
        #[arg(long)]
        since: Option<PathBuf>,
    },
    /// Verify a ledger: signatures, chain, rules, balances, Merkle root, tree heads.
    Audit(AuditArgs),
    /// Recount a vote from its signed ballots (an export), or count a BLT ballot file.
    Tally(TallyArgs),
    /// Vote on a proposal through a node's JSON API, signing the ballot here with your own key.
    Vote(VoteArgs),
    /// Measure throughput.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Serve the members' web space (pages and JSON API) until Ctrl-C.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: String,
    /// The address people use to reach this node, for invitation links (default: http://BIND).
    #[arg(long)]
    public_url: Option<String>,
    /// First fill an empty database with a small living demo circle, and print its logins.
    #[arg(long)]
    demo: bool,
    /// Mark cookies Secure (set this when the node is served over HTTPS).
    #[arg(long)]
    secure_cookies: bool,
    /// A session ends after this many hours without a request.
    #[arg(long, default_value_t = 24)]
    session_idle_hours: u32,
    /// Login attempts allowed per minute, per address and per username.
    #[arg(long, default_value_t = 10)]
    login_attempts_per_minute: u32,
    /// Writes (posts, payments, reports, messages: every request but a read) allowed per
    /// minute and person; an address gets five times as many.
    #[arg(long, default_value_t = 120)]
    writes_per_minute: u32,
    /// Send e-mail through this SMTP server: smtp://host:port, smtps://user:password@host, or
    /// smtp://user:password@host:587?tls=required for STARTTLS. Without it the node sends no
    /// mail.
    #[arg(long, env = "COMMONS_SMTP_URL", hide_env_values = true)]
    smtp: Option<String>,
    /// The sender of the node's mail, e.g. "Riverside Commons <commons@example.org>"
    /// (default: commons@ the public address's host).
    #[arg(long, env = "COMMONS_MAIL_FROM")]
    mail_from: Option<String>,
    /// The local hour (0-23, in each circle's time zone) the daily and weekly digests go out.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(i8).range(0..=23))]
    digest_hour: i8,
    /// Let circles link with circles on this machine or a private network (a region's own
    /// network, or trying two nodes on one computer). Off, a link's address must be public.
    #[arg(long)]
    federation_private_addresses: bool,
}

#[derive(Debug, Subcommand)]
enum CircleCommand {
    /// Create a circle; the steward key signs its genesis entry.
    Create(CreateCircleArgs),
    /// List the circles on this node.
    List,
    /// Start the chain of hashes of a circle's account with a Credit Commons node it linked
    /// with on its word, at the value both nodes' operators agreed (its `last-hash`). Starting
    /// it again resets it: do that only together with the other node's operator.
    CcChain {
        /// The circle's short name.
        slug: String,
        /// The Credit Commons node's name in its tree, as the link names it (e.g. trunk).
        #[arg(long)]
        partner: String,
        /// The agreed starting value.
        #[arg(long)]
        last_hash: String,
    },
}

#[derive(Debug, Args)]
struct CreateCircleArgs {
    slug: String,
    #[arg(long)]
    name: String,
    /// The unit's name, e.g. hours.
    #[arg(long)]
    unit: String,
    /// A short symbol for the unit (default: the unit's name).
    #[arg(long)]
    symbol: Option<String>,
    #[arg(long, default_value_t = 2)]
    decimals: u32,
    /// Default floor (zero or negative), e.g. -20.
    #[arg(long, allow_hyphen_values = true)]
    floor: String,
    /// Default ceiling (zero or positive), e.g. 50.
    #[arg(long, allow_hyphen_values = true)]
    ceiling: String,
    #[arg(long)]
    steward_key: PathBuf,
}

#[derive(Debug, Subcommand)]
enum AccountCommand {
    /// Open an account for a member's public key (signed by a steward).
    Open {
        slug: String,
        #[arg(long)]
        member: String,
        #[arg(long, allow_hyphen_values = true)]
        floor: Option<String>,
        #[arg(long, allow_hyphen_values = true)]
        ceiling: Option<String>,
        #[arg(long)]
        steward_key: PathBuf,
    },
    /// Close an account at zero balance (signed by the member or a steward).
    Close {
        slug: String,
        #[arg(long)]
        member: String,
        #[arg(long)]
        key: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum StewardCommand {
    /// Make a key a steward of the circle (signed by a steward).
    Add {
        slug: String,
        #[arg(long)]
        member: String,
        #[arg(long)]
        steward_key: PathBuf,
    },
    /// Remove a steward key (signed by a steward; never the last one).
    Remove {
        slug: String,
        #[arg(long)]
        member: String,
        #[arg(long)]
        steward_key: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Move an account from its old key to a new one: signed by the old key, or by a steward
    /// when the old key is lost. The balance and limits move with it.
    Rotate {
        slug: String,
        #[arg(long)]
        old: String,
        #[arg(long)]
        new: String,
        /// The old key's file, or a steward's key file.
        #[arg(long)]
        key: PathBuf,
    },
}

#[derive(Debug, Args)]
struct LimitsArgs {
    slug: String,
    #[arg(long)]
    member: String,
    #[arg(long, allow_hyphen_values = true)]
    floor: String,
    #[arg(long, allow_hyphen_values = true)]
    ceiling: String,
    #[arg(long)]
    steward_key: PathBuf,
}

#[derive(Debug, Args)]
pub struct PayArgs {
    slug: String,
    #[arg(long)]
    from_key: PathBuf,
    /// The payee: a public key, or (with --server) a member's username.
    #[arg(long)]
    to: String,
    #[arg(long)]
    amount: String,
    #[arg(long)]
    memo: Option<String>,
    /// What the payment is for, outside the ledger (e.g. deal:42).
    #[arg(long)]
    reference: Option<String>,
    /// Pay through a node's JSON API (signing here, with your own key) instead of --db.
    #[arg(long)]
    server: Option<String>,
    /// Your API token for --server (made on the node's settings page).
    #[arg(long, env = "COMMONS_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

#[derive(Debug, Args)]
struct RequestArgs {
    slug: String,
    /// Your key: you are the one to be paid.
    #[arg(long)]
    key: PathBuf,
    /// The member asked to pay.
    #[arg(long)]
    from: String,
    #[arg(long)]
    amount: String,
    #[arg(long)]
    memo: Option<String>,
}

#[derive(Debug, Args)]
struct RespondArgs {
    slug: String,
    /// The sequence number of the entry (request or transfer).
    seq: u64,
    #[arg(long)]
    key: PathBuf,
}

#[derive(Debug, Args)]
struct AuditArgs {
    /// Audit this circle in the database.
    #[arg(required_unless_present_any = ["file", "moderation", "statement", "link"], conflicts_with_all = ["file", "moderation", "statement", "link"])]
    slug: Option<String>,
    /// Check two linked circles' exports against each other (and each on its own), offline:
    /// every payment between them on both sides or on neither, with the same amounts.
    #[arg(long, num_args = 2, value_names = ["A", "B"], conflicts_with_all = ["file", "moderation", "statement"])]
    link: Vec<PathBuf>,
    /// With --link: tree heads one side kept of the other (`commons export held-heads`), each
    /// of which the other's export must begin with (repeat for both sides).
    #[arg(long, requires = "link")]
    held: Vec<PathBuf>,
    /// Verify a member's statement instead (`ledger/SLUG/statement.json` in their takeout),
    /// offline: each entry signed, in the circle's signed tree, and about the member.
    #[arg(long, conflicts_with_all = ["file", "moderation"])]
    statement: Option<PathBuf>,
    /// Verify a circle's moderation log instead (downloaded from its moderation page), offline.
    #[arg(long, conflicts_with = "file")]
    moderation: Option<PathBuf>,
    /// With --moderation: a head you kept earlier, as SIZE:ROOT (shown on the moderation
    /// page); the log must still begin with exactly those actions.
    #[arg(long, requires = "moderation")]
    kept_head: Option<String>,
    /// With --moderation: the circle's ledger export (`commons export`), whose genesis pins
    /// the node key the log must be signed by.
    #[arg(long, requires = "moderation")]
    ledger: Option<PathBuf>,
    /// Audit an export file instead, offline.
    #[arg(long)]
    file: Option<PathBuf>,
    /// A tree head saved earlier (`commons head`): the log must extend it.
    #[arg(long)]
    trusted_head: Option<PathBuf>,
    /// With --file: ballot exports (`commons export ballots`) of the proposals the ledger
    /// enacted; each enactment is recounted from them. Repeat for several proposals.
    #[arg(long, requires = "file")]
    ballots: Vec<PathBuf>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct VoteArgs {
    /// The proposal: SLUG/NUMBER, e.g. garden/3.
    proposal: String,
    /// Majority: yes|no|abstain. Consent: agree|stand-aside|object:REASON. Approval: 1,3.
    /// Score: 5,0,3 (one per option). Ranked: 2,1,3 (option numbers, first choice first).
    #[arg(long)]
    choice: String,
    /// Your secret key file (the key of your account in the circle).
    #[arg(long)]
    key: PathBuf,
    /// The node, e.g. https://commons.example.org.
    #[arg(long)]
    server: String,
    /// Your API token (made on the node's settings page).
    #[arg(long, env = "COMMONS_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ExportArgs {
    #[command(subcommand)]
    what: Option<ExportWhat>,
    /// The circle whose ledger to export.
    #[arg(required = true)]
    slug: Option<String>,
    /// Leave out memo texts (the export still verifies): for sharing beyond the circle.
    #[arg(long)]
    without_memos: bool,
    /// File to write (standard output when absent).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ExportWhat {
    /// A vote's definition, signed ballots, delegations and recorded decision, for
    /// `commons tally --file` (or, with --blt, its counted ranked ballots for other software).
    Ballots {
        /// The proposal: SLUG/NUMBER, e.g. garden/3 (just the number when the node has one circle).
        proposal: String,
        /// Which voting round (default: the latest).
        #[arg(long)]
        round: Option<u32>,
        /// Write the counted ranked ballots as BLT instead (ranked votes only).
        #[arg(long)]
        blt: bool,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The signed tree heads this circle's node kept of each linked circle (one JSON line
    /// each), for `commons audit --link A.jsonl B.jsonl --held FILE`: the linked circle's
    /// export must still begin with every log it signed.
    HeldHeads {
        slug: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["proposal", "file", "blt"])))]
pub struct TallyArgs {
    /// Recount a proposal from the database: SLUG/NUMBER, e.g. garden/3 (just the number when
    /// the node has one circle).
    proposal: Option<String>,
    /// Which voting round (default: the latest).
    #[arg(long, requires = "proposal")]
    round: Option<u32>,
    /// A ballot export (`commons export ballots`): verify every signature and recount, offline.
    #[arg(long)]
    file: Option<PathBuf>,
    /// A BLT file of ranked ballots (OpenSTV, Loomio, election records).
    #[arg(long, requires = "method")]
    blt: Option<PathBuf>,
    /// How to count the BLT file.
    #[arg(long, value_enum)]
    method: Option<tally::BltMethod>,
    /// Seats for STV (default: the BLT file's own).
    #[arg(long)]
    seats: Option<usize>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Append throughput and audit speed of the ledger.
    Ledger {
        #[arg(long, default_value_t = 100_000)]
        transfers: usize,
        /// Requests in flight at once (like that many members paying at the same moment).
        #[arg(long, default_value_t = 1024)]
        concurrency: usize,
        /// Bench on this PostgreSQL URL instead of a fresh temporary SQLite file.
        #[arg(long)]
        pg: Option<String>,
    },
    /// Pages, a static file and API payments under load on loopback (a demo node in-process).
    Web {
        /// Connections kept busy at once.
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Seconds per scenario.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Bench on this PostgreSQL URL (an empty database) instead of a fresh SQLite file.
        #[arg(long)]
        pg: Option<String>,
        /// Run only these scenarios (home, ledger, static, payments, unlocks, batch); all by default.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
    },
    /// Counting a real election from its BLT file, and verifying and recounting signed ballots.
    Governance {
        #[arg(long, default_value_t = 1_000_000)]
        ballots: usize,
        /// The BLT file to count (run from the repository root for the default).
        #[arg(
            long,
            default_value = "governance/tests/fixtures/elections/2011-San_Francisco-Mayor.blt"
        )]
        blt: PathBuf,
    },
    /// Payments between two nodes on loopback against payments within one circle.
    Link {
        #[arg(long, default_value_t = 2_000)]
        payments: usize,
        /// Payers at once for the throughput runs.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
    /// Search, matching, trade loops and market pages on a circle with many listings.
    Market {
        #[arg(long, default_value_t = 100_000)]
        listings: usize,
        /// Connections kept busy at once for the HTTP scenarios.
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Seconds per HTTP scenario.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Bench on this PostgreSQL URL (an empty database) instead of a fresh SQLite file.
        #[arg(long)]
        pg: Option<String>,
    },
}

/// How a command ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// Audit found faults, or the ledger refused a request (already printed).
    Faults,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("COMMONS_LOG").unwrap_or_else(|_| {
                if std::env::args().nth(1).as_deref() == Some("serve") {
                    "info,sqlx=warn".into()
                } else {
                    "warn".into()
                }
            }),
        )
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Faults) => ExitCode::from(1),
        Err(error) => {
            let refused = error.chain().any(|cause| {
                matches!(
                    cause.downcast_ref::<commons_ledger::store::StoreError>(),
                    Some(commons_ledger::store::StoreError::Refused(_))
                ) || cause.downcast_ref::<remote::Refused>().is_some()
            });
            eprintln!("error: {error}");
            let mut said = error.to_string();
            for cause in error.chain().skip(1) {
                let text = cause.to_string();
                if !said.contains(&text) {
                    eprintln!("  because: {text}");
                }
                said = text;
            }
            if refused {
                ExitCode::from(1)
            } else {
                ExitCode::from(2)
            }
        }
    }
}
