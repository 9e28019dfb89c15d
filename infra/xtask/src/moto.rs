//! moto's server mode: a DynamoDB API on loopback for the tests, installed into `.tools/moto`
//! ([`crate::tools::MOTO`]), started on a free port, waited for, and stopped when the guard drops.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::run::Failure;

/// moto's server, handling one request at a time. `moto_server` is threaded, and its
/// TransactWriteItems then checks conditions of concurrent transactions without isolation;
/// DynamoDB serialises them. Serving requests one by one restores DynamoDB's guarantee, so a
/// race in a test exercises hocphi's conditions, not a gap in the emulator.
const SERIAL_SERVER: &str = "\
import sys
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.moto_server.threaded_moto_server import MotoRequestHandler
run_simple('127.0.0.1', int(sys.argv[1]), DomainDispatcherApplication(create_backend_app),
           threaded=False, request_handler=MotoRequestHandler)
";

/// A running moto server; stopped on drop.
pub struct Moto {
    child: Child,
    port: u16,
    pub endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16, Failure> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Failure(format!("no free loopback port: {e}")))
}

/// Sends one DynamoDB API call (unsigned: moto does not check signatures) and answers the HTTP
/// status and body.
fn call(port: u16, target: &str, body: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-amz-json-1.0\r\n\
         X-Amz-Target: DynamoDB_20120810.{target}\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.get(9..12)?.parse().ok()?;
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    Some((status, body))
}

impl Moto {
    /// One DynamoDB API call against this server.
    pub fn call(&self, target: &str, body: &str) -> Result<(u16, String), Failure> {
        call(self.port, target, body)
            .ok_or_else(|| Failure(format!("moto did not answer {target}")))
    }
}

fn ready(port: u16) -> bool {
    call(port, "ListTables", "{}").is_some_and(|(status, _)| status == 200)
}

/// Installs (if needed) and starts moto, and waits until it answers.
pub fn start() -> Result<Moto, Failure> {
    let server = crate::tools::MOTO.ensure()?.join("moto_server");
    let port = free_port()?;
    println!("\n==> starting moto (DynamoDB API) on 127.0.0.1:{port}");
    let log = std::fs::File::create(crate::run::tools_dir().join("moto.log"))
        .map_err(|e| Failure(format!("cannot write .tools/moto.log: {e}")))?;
    let child = Command::new(server.with_file_name("python"))
        .args(["-c", SERIAL_SERVER, &port.to_string()])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| Failure(format!("cannot start moto: {e}")))?;
    let moto = Moto {
        child,
        port,
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
