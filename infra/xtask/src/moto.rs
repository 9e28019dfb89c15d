//! moto's server mode: a DynamoDB API on loopback for the tests, installed into `.tools/moto`,
//! started on a free port, waited for, and stopped when the guard drops.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::run::{Failure, root, step};

const MOTO: &str = "moto[server]==5.2.5";

/// A running moto server; stopped on drop.
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn venv() -> PathBuf {
    root().join(".tools").join("moto")
}

/// Installs moto into its own virtual environment unless it is there already.
fn install() -> Result<PathBuf, Failure> {
    let server = venv().join("bin").join("moto_server");
    if server.exists() {
        return Ok(server);
    }
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    step(
        "creating a Python environment for moto (.tools/moto)",
        Command::new(&python).args(["-m", "venv"]).arg(venv()),
    )?;
    step(
        &format!("installing {MOTO} from PyPI"),
        Command::new(venv().join("bin").join("pip")).args(["install", "--quiet", MOTO]),
    )?;
    Ok(server)
}

fn free_port() -> Result<u16, Failure> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Failure(format!("no free loopback port: {e}")))
}

/// True when a DynamoDB `ListTables` call answers 200.
fn ready(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-amz-json-1.0\r\n\
         X-Amz-Target: DynamoDB_20120810.ListTables\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok()
        && (head.starts_with(b"HTTP/1.1 200") || head.starts_with(b"HTTP/1.0 200"))
}

/// Installs (if needed) and starts moto, and waits until it answers.
pub fn start() -> Result<Moto, Failure> {
    let server = install()?;
    let port = free_port()?;
    println!("\n==> starting moto (DynamoDB API) on 127.0.0.1:{port}");
    let log = std::fs::File::create(root().join(".tools").join("moto.log"))
        .map_err(|e| Failure(format!("cannot write .tools/moto.log: {e}")))?;
    let child = Command::new(server)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| Failure(format!("cannot start moto: {e}")))?;
    let moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if ready(port) {
            println!("    ready ({:.1?})", started.elapsed());
            return Ok(moto);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(Failure(
        "moto did not answer within 60 s; see .tools/moto.log".into(),
    ))
}
