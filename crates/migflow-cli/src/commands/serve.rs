//! `migflow serve`.

use super::load;
use crate::args::{ServeArgs, threads};
use anyhow::{Context, Result};
use std::net::SocketAddr;

/// `migflow serve`: bind, say where, serve until Ctrl-C.
pub fn serve(args: ServeArgs) -> Result<()> {
    let (loaded, _) = load(args.scenario.as_deref())?;
    let loaded = super::with_sets(loaded, &args.sets)?;
    super::print_warnings(&loaded);
    let mut config = migflow_serve::Config::new(loaded);
    config.threads = threads(args.threads);
    let addr = SocketAddr::new(args.host, args.port);
    let listener = std::net::TcpListener::bind(addr).with_context(|| {
        format!(
            "--host {} --port {}: cannot listen there",
            args.host, args.port
        )
    })?;
    // Port 0 binds any free port: say the one bound.
    let bound = listener
        .local_addr()
        .context("the address the server listens on")?;
    if !args.host.is_loopback() {
        eprintln!(
            "warning: --host {}: the server is reachable from other machines, and anyone who reaches it can run simulations here",
            args.host
        );
    }
    let url = format!("http://{bound}/");
    println!("migflow serve: {url} (Ctrl-C to stop)");
    if args.open {
        open_browser(&url);
    }
    migflow_serve::serve(config, listener)?;
    Ok(())
}

/// Ask the desktop to open `url`; a machine without one only gets a note.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    match std::process::Command::new(opener)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(_) => {}
        Err(e) => eprintln!("--open: cannot start {opener} ({e}): open {url} in a browser"),
    }
}
