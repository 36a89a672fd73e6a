//! The `spin-test-host` command line: a local stand-in for `spin up`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};

use crate::app::OutputOptions;
use crate::runtime_config::RuntimeConfig;
use crate::{HostConfig, start_with_output};

const USAGE: &str = "\
Usage: spin-test-host up [OPTIONS]

Runs a Spin application's HTTP components locally, like `spin up`.

Options:
  -f, --from <PATH>                  spin.toml, or a directory holding one [default: spin.toml]
      --listen <ADDR>                Address to listen on [default: 127.0.0.1:3000] (port 0: any free port)
      --runtime-config-file <FILE>   Spin runtime configuration file
      --variable <NAME=VALUE>        Set an application variable (repeatable)
      --component-id <ID>            Run only this component (repeatable)
      --log-dir <DIR>                Directory for <id>_stdout.txt / <id>_stderr.txt
                                     [default: the runtime config's log_dir, else <app dir>/.spin/logs]
  -h, --help                         Print this help

Variables are also read from SPIN_VARIABLE_<NAME> environment variables and a .env
file in the current directory; --variable takes precedence.";

/// Parsed `up` arguments.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct UpArgs {
    pub from: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub runtime_config: Option<PathBuf>,
    pub variables: Vec<(String, String)>,
    pub component_ids: Vec<String>,
    pub log_dir: Option<PathBuf>,
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Up(UpArgs),
    Help,
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = String>) -> anyhow::Result<Command> {
    let mut args = args.into_iter();
    match args.next().as_deref() {
        Some("up") => {}
        Some("-h" | "--help" | "help") | None => return Ok(Command::Help),
        Some(other) => bail!("unknown command `{other}` (only `up` is supported)"),
    }
    let mut up = UpArgs::default();
    while let Some(arg) = args.next() {
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if matches!(flag.as_str(), "-h" | "--help") {
            return Ok(Command::Help);
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .with_context(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "-f" | "--from" | "--file" => up.from = Some(value()?.into()),
            "--listen" => {
                let v = value()?;
                up.listen = Some(
                    v.parse()
                        .with_context(|| format!("invalid --listen address {v:?}"))?,
                );
            }
            "--runtime-config-file" => up.runtime_config = Some(value()?.into()),
            "--variable" => {
                let v = value()?;
                let (k, val) = v
                    .split_once('=')
                    .with_context(|| format!("--variable {v:?} is not NAME=VALUE"))?;
                up.variables.push((k.to_string(), val.to_string()));
            }
            "--component-id" | "-c" => up.component_ids.push(value()?),
            "--log-dir" => up.log_dir = Some(value()?.into()),
            other => bail!("unknown option `{other}`"),
        }
    }
    Ok(Command::Up(up))
}

/// The environment tier of variables: `.env` in the working directory,
/// overridden by `SPIN_VARIABLE_*`, overridden by `--variable`.
fn collect_variables(cli: &[(String, String)]) -> Vec<(String, String)> {
    let mut vars = BTreeMap::new();
    if let Ok(text) = std::fs::read_to_string(".env") {
        for (k, v) in parse_dotenv(&text) {
            if let Some(name) = k.strip_prefix("SPIN_VARIABLE_") {
                vars.insert(name.to_ascii_lowercase(), v);
            }
        }
    }
    for (k, v) in std::env::vars() {
        if let Some(name) = k.strip_prefix("SPIN_VARIABLE_") {
            vars.insert(name.to_ascii_lowercase(), v);
        }
    }
    for (k, v) in cli {
        vars.insert(k.clone(), v.clone());
    }
    vars.into_iter().collect()
}

/// `KEY=value` lines; `#` comments, optional `export ` and quotes.
fn parse_dotenv(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let l = l.strip_prefix("export ").unwrap_or(l);
            let (k, v) = l.split_once('=')?;
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            Some((k.trim().to_string(), v.to_string()))
        })
        .collect()
}

fn manifest_path(from: Option<PathBuf>) -> PathBuf {
    let path = from.unwrap_or_else(|| PathBuf::from("spin.toml"));
    if path.is_dir() {
        path.join("spin.toml")
    } else {
        path
    }
}

async fn up(args: UpArgs) -> anyhow::Result<()> {
    let manifest = manifest_path(args.from);
    let app_dir = std::path::absolute(&manifest)?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    // Spin files component output under the state directory by default.
    let log_dir = match args.log_dir {
        Some(d) => Some(d),
        None => match &args.runtime_config {
            Some(rc) => RuntimeConfig::load(rc)?.log_dir(&app_dir)?,
            None => RuntimeConfig::default().log_dir(&app_dir)?,
        },
    };
    let config = HostConfig {
        manifest,
        runtime_config: args.runtime_config,
        listen: args
            .listen
            .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 3000))),
        variables: collect_variables(&args.variables),
        component_ids: args.component_ids,
        log_dir: log_dir.clone(),
    };
    let output = OutputOptions {
        keep: false,
        echo: true,
        log_dir: log_dir.clone(),
    };
    let app = start_with_output(config, output).await?;
    if let Some(dir) = &log_dir {
        println!(
            "Logging component stdio to {:?}",
            format!("{}/", dir.display())
        );
    }
    for summary in app.app.stores.summaries() {
        println!("Key-value store {summary}");
    }
    println!("Serving {}", app.base_url());
    println!("Available Routes:");
    for (id, route) in app.routes() {
        println!("  {id}: {}{route}", app.base_url());
    }
    wait_for_stop_signal().await?;
    app.shutdown().await;
    Ok(())
}

/// Ctrl-C, or SIGTERM from a script or supervisor.
async fn wait_for_stop_signal() -> anyhow::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r?,
        _ = term.recv() => {}
    }
    Ok(())
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let command = match parse(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Error: {e:#}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let args = match command {
        Command::Help => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Command::Up(args) => args,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(up(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_spin_up_style_arguments() {
        let Command::Up(up) = parse(args(
            "up --from app/spin.toml --listen 127.0.0.1:0 --runtime-config-file rc.toml \
             --variable a=1 --variable=b=x=y --component-id auth --component-id docs --log-dir logs",
        ))
        .unwrap() else {
            panic!("expected up");
        };
        assert_eq!(up.from, Some("app/spin.toml".into()));
        assert_eq!(up.listen, Some("127.0.0.1:0".parse().unwrap()));
        assert_eq!(up.runtime_config, Some("rc.toml".into()));
        assert_eq!(
            up.variables,
            [
                ("a".to_string(), "1".to_string()),
                ("b".to_string(), "x=y".to_string())
            ]
        );
        assert_eq!(up.component_ids, ["auth", "docs"]);
        assert_eq!(up.log_dir, Some("logs".into()));
    }

    #[test]
    fn rejects_bad_arguments() {
        assert!(parse(args("down")).is_err());
        assert!(parse(args("up --bogus")).is_err());
        assert!(parse(args("up --variable novalue")).is_err());
        assert!(parse(args("up --listen")).is_err());
        assert_eq!(parse(args("up --help")).unwrap(), Command::Help);
    }

    #[test]
    fn dotenv_lines() {
        let v = parse_dotenv("# c\nexport SPIN_VARIABLE_A=\"1\"\nSPIN_VARIABLE_B = two\n\n");
        assert_eq!(
            v,
            [
                ("SPIN_VARIABLE_A".to_string(), "1".to_string()),
                ("SPIN_VARIABLE_B".to_string(), "two".to_string())
            ]
        );
    }
}
