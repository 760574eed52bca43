//! `fake-openai [--port N] [--script FILE] [--latency-ms N] [--api-key KEY]`: runs the fake
//! OpenAI server until killed.
//!
//! Binds 127.0.0.1 only. Once the server accepts connections it prints exactly one line,
//! `listening on http://127.0.0.1:PORT`, to stdout and flushes it, so a test harness (the
//! Node end-to-end tests) can wait for that line and parse the port. Everything else goes to
//! stderr. Ctrl-C shuts the server down gracefully; any other signal simply ends the process.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use persona_fake_server::{FakeServer, Script};

const USAGE: &str = "usage: fake-openai [--port N] [--script FILE] [--latency-ms N] [--api-key KEY]

Runs a fake OpenAI-compatible server on 127.0.0.1 (port 0, the default, picks a free one) and
prints `listening on http://127.0.0.1:PORT` once ready. FILE is a JSON script; see the
persona-fake-server crate documentation for its format.

  --latency-ms N  wait N milliseconds (at most 30000) before every chat-completion answer, on
                  top of the rule's own delay_ms: a model's per-call latency, for benchmarks.
                  Overrides the script's latency_ms.
  --api-key KEY   require `Authorization: Bearer KEY` on every request; others get HTTP 401
                  with OpenAI's error JSON (code invalid_api_key). Overrides the script's
                  api_key.";

/// The parsed command line.
#[derive(Debug, Default)]
struct Args {
    port: u16,
    script: Option<PathBuf>,
    /// Overrides the script's `latency_ms`.
    latency_ms: Option<u64>,
    /// Overrides the script's `api_key`.
    api_key: Option<String>,
}

/// What the command line asks for.
enum Command {
    Run(Args),
    Help,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut parsed = Args::default();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg, None),
        };
        let mut value = |name: &str| inline.clone().or_else(|| args.next()).ok_or(format!("{name} needs a value"));
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--port" => {
                let text = value("--port")?;
                parsed.port = text.parse().map_err(|_| format!("--port: `{text}` is not a port number"))?;
            }
            "--script" => parsed.script = Some(PathBuf::from(value("--script")?)),
            "--latency-ms" => {
                let text = value("--latency-ms")?;
                let ms = text.parse().map_err(|_| format!("--latency-ms: `{text}` is not a number of milliseconds"))?;
                parsed.latency_ms = Some(ms);
            }
            "--api-key" => parsed.api_key = Some(value("--api-key")?),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Command::Run(parsed))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Run(args)) => args,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("fake-openai: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut script = match &args.script {
        Some(path) => match Script::from_file(path) {
            Ok(script) => script,
            Err(error) => {
                eprintln!("fake-openai: {error}");
                return ExitCode::FAILURE;
            }
        },
        None => Script::default(),
    };
    if let Some(latency_ms) = args.latency_ms {
        script.latency_ms = Some(latency_ms);
    }
    if let Some(api_key) = args.api_key {
        script.api_key = Some(api_key);
    }
    let server = match FakeServer::start_on_port(args.port, script).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("fake-openai: {error}");
            return ExitCode::FAILURE;
        }
    };

    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "listening on {}", server.url()).and_then(|()| stdout.flush()).is_err() {
        return ExitCode::FAILURE;
    }
    drop(stdout);

    if let Err(error) = tokio::signal::ctrl_c().await {
        // Without signal handling, keep serving until the process is killed.
        eprintln!("fake-openai: cannot listen for Ctrl-C ({error}); running until killed");
        std::future::pending::<()>().await;
    }
    server.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        parse_args(args.iter().map(|arg| arg.to_string()))
    }

    #[test]
    fn parses_flags_in_both_spellings() {
        let Ok(Command::Run(args)) = parse(&["--port", "8080", "--script=s.json"]) else { panic!("should parse") };
        assert_eq!(args.port, 8080);
        assert_eq!(args.script, Some(PathBuf::from("s.json")));
        let Ok(Command::Run(args)) = parse(&[]) else { panic!("should parse") };
        assert_eq!(args.port, 0);
        assert_eq!(args.latency_ms, None);
    }

    #[test]
    fn parses_the_latency_flag() {
        let Ok(Command::Run(args)) = parse(&["--latency-ms", "250"]) else { panic!("should parse") };
        assert_eq!(args.latency_ms, Some(250));
        let Ok(Command::Run(args)) = parse(&["--script", "s.json", "--latency-ms=0"]) else { panic!("should parse") };
        assert_eq!(args.latency_ms, Some(0));
        assert!(parse(&["--latency-ms"]).is_err());
        assert!(parse(&["--latency-ms", "-5"]).is_err());
        assert!(parse(&["--latency-ms", "fast"]).is_err());
    }

    #[test]
    fn parses_the_api_key_flag() {
        let Ok(Command::Run(args)) = parse(&["--api-key", "sk-test"]) else { panic!("should parse") };
        assert_eq!(args.api_key.as_deref(), Some("sk-test"));
        let Ok(Command::Run(args)) = parse(&["--api-key=sk-other"]) else { panic!("should parse") };
        assert_eq!(args.api_key.as_deref(), Some("sk-other"));
        let Ok(Command::Run(args)) = parse(&[]) else { panic!("should parse") };
        assert_eq!(args.api_key, None);
        assert!(parse(&["--api-key"]).is_err());
    }

    #[test]
    fn rejects_bad_arguments() {
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--port", "http"]).is_err());
        assert!(parse(&["--verbose"]).is_err());
        assert!(matches!(parse(&["--help"]), Ok(Command::Help)));
    }
}
