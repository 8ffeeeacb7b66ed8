//! `migflow serve`: it binds (any free port with `--port 0`), says where,
//! answers the API, and stops cleanly on Ctrl-C.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};

fn start(args: &[&str]) -> (Child, String, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_migflow"))
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start migflow serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the first line");
    let port = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    (child, line, port)
}

fn get(port: u16, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read");
    answer
}

fn interrupt(child: &mut Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    child.wait().expect("wait")
}

#[test]
fn serve_binds_any_port_answers_and_stops_on_ctrl_c() {
    let (mut child, line, port) = start(&["--port", "0", "--threads", "1"]);
    assert_eq!(
        line,
        format!("migflow serve: http://127.0.0.1:{port}/ (Ctrl-C to stop)\n")
    );
    let schema = get(port, "/api/schema");
    assert!(schema.starts_with("HTTP/1.1 200"), "{schema}");
    assert!(schema.contains("\"levers\""), "{schema}");
    let page = get(port, "/");
    assert!(page.contains("text/html"), "{page}");
    let status = interrupt(&mut child);
    assert!(status.success(), "{status}");
}

#[test]
fn serve_refuses_a_bad_set_in_the_words_of_run() {
    let out = Command::new(env!("CARGO_BIN_EXE_migflow"))
        .args([
            "serve",
            "--port",
            "0",
            "--set",
            "levers.workshops.workshop_jobs_share=2",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--set levers.workshops.workshop_jobs_share=2: `levers.workshops.workshop_jobs_share` = 2: expected"),
        "{err}"
    );
}
