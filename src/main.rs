//! duodhcp command line: run the server, check a config, inspect or restore a journal.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use duodhcp::events::{self, id as ev};
use duodhcp::journal;
use duodhcp::reactor::{self, load_config, Exit, Reactor, RunOptions};

const USAGE: &str = "\
usage:
  duodhcp [-c FILE] [--pid-file FILE]         run the server in the foreground
  duodhcp check -c FILE                       validate a config file
  duodhcp leases (--journal FILE | -c FILE) [--json]
                                              list the leases of a journal (read-only)
  duodhcp restore --from BACKUP -c FILE       restore the journal from a backup (server stopped)
  duodhcp --version | --help

Logging goes to stderr; RUST_LOG=debug for packet detail. Signals: SIGHUP reloads the
config, SIGTERM/SIGINT flush the journal and exit, SIGUSR1 logs counters.";

const DEFAULT_CONFIG: &str = "/etc/duodhcp.conf";

// sysexits(3)
const EX_USAGE: u8 = 64;
const EX_IOERR: u8 = 74;
const EX_CONFIG: u8 = 78;

struct Args {
    cmd: String,
    config: Option<PathBuf>,
    pid_file: Option<PathBuf>,
    journal: Option<PathBuf>,
    from: Option<PathBuf>,
    json: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        cmd: "run".into(),
        config: None,
        pid_file: None,
        journal: None,
        from: None,
        json: false,
    };
    let mut it = std::env::args().skip(1);
    let mut first = true;
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "check" | "leases" | "restore" | "run" if first => a.cmd = arg,
            "-c" | "--config" => a.config = Some(value(&arg)?.into()),
            "--pid-file" => a.pid_file = Some(value(&arg)?.into()),
            "--journal" => a.journal = Some(value(&arg)?.into()),
            "--from" => a.from = Some(value(&arg)?.into()),
            "--json" => a.json = true,
            "-h" | "--help" => a.cmd = "help".into(),
            "-V" | "--version" => a.cmd = "version".into(),
            other => return Err(format!("unexpected argument `{other}`")),
        }
        first = false;
    }
    Ok(a)
}

fn main() -> ExitCode {
    let env = env_logger::Env::default().default_filter_or("info");
    env_logger::Builder::from_env(env)
        .format_timestamp(None)
        .init();
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("duodhcp: {e}\n{USAGE}");
            return ExitCode::from(EX_USAGE);
        }
    };
    let config = args.config.clone().unwrap_or_else(|| DEFAULT_CONFIG.into());
    match args.cmd.as_str() {
        "help" => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        "version" => {
            println!("duodhcp {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        "check" => match load_config(&config) {
            Ok(cfg) => {
                println!(
                    "{}: ok ({} scopes, {} interfaces)",
                    config.display(),
                    cfg.scopes.len(),
                    cfg.server.interfaces.len()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(EX_CONFIG)
            }
        },
        "leases" => leases(&args, &config),
        "restore" => restore(&args, &config),
        _ => run(&args, config),
    }
}

fn leases(args: &Args, config: &Path) -> ExitCode {
    let path = match &args.journal {
        Some(p) => p.clone(),
        None => match load_config(config) {
            Ok(c) => c.server.journal.into(),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(EX_CONFIG);
            }
        },
    };
    match journal::read_leases(&path) {
        Ok(r) => {
            let text = if args.json {
                journal::dump::to_json(&r.leases)
            } else {
                journal::dump::to_text(&r.leases, duodhcp::time::secs(reactor::now_ms()))
            };
            let _ = std::io::stdout().write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("duodhcp: {e}");
            ExitCode::from(EX_IOERR)
        }
    }
}

fn restore(args: &Args, config: &Path) -> ExitCode {
    let Some(from) = &args.from else {
        eprintln!("duodhcp: restore needs --from BACKUP\n{USAGE}");
        return ExitCode::from(EX_USAGE);
    };
    let cfg = match load_config(config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EX_CONFIG);
        }
    };
    match journal::restore(from, Path::new(&cfg.server.journal)) {
        Ok(n) => {
            events::emit(
                log::Level::Info,
                ev::EVENT_SERVER_DATABASE_RESTORE_SUCCEEDED,
                &[],
            );
            println!(
                "restored {n} leases from {} into {}",
                from.display(),
                cfg.server.journal
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            events::emit(
                log::Level::Error,
                ev::EVENT_SERVER_DATABASE_RESTORE_FAILED,
                &[&e],
            );
            ExitCode::from(EX_IOERR)
        }
    }
}

fn run(args: &Args, config: PathBuf) -> ExitCode {
    let cfg = match load_config(&config) {
        Ok(c) => c,
        Err(e) => {
            events::emit(
                log::Level::Error,
                ev::EVENT_SERVER_INIT_REGISTRY_FAILED,
                &[&e],
            );
            return ExitCode::from(EX_CONFIG);
        }
    };
    let pid_file = args
        .pid_file
        .clone()
        .or_else(|| cfg.server.pid_file.clone().map(PathBuf::from));
    if let Some(p) = &pid_file {
        if let Err(e) = std::fs::write(p, format!("{}\n", std::process::id())) {
            events::emit(
                log::Level::Error,
                ev::EVENT_SERVER_FAILED_REGISTER_SC,
                &[&format!("pid file {}: {e}", p.display())],
            );
            return ExitCode::from(EX_IOERR);
        }
    }
    let code = match Reactor::new(
        cfg,
        RunOptions {
            config_path: config,
        },
    )
    .and_then(|mut r| r.run())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(Exit::Io(e)) => {
            eprintln!("duodhcp: {e}");
            ExitCode::from(EX_IOERR)
        }
        Err(Exit::Ok) => ExitCode::SUCCESS,
    };
    if let Some(p) = &pid_file {
        let _ = std::fs::remove_file(p);
    }
    code
}
