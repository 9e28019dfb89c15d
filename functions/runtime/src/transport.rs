//! The HTTPS client hocphi uses to call gateways' APIs (VNPay querydr, MoMo create and query).
//!
//! Invariants: every call is bounded, in time by the request's own `timeout` (the gateway module
//! sets it per call and the checkout shortens it to what its budget has left) and in size by
//! 64 KiB of answer; TLS uses rustls with ring and the Mozilla root store compiled in, so it needs
//! no system certificates; plain HTTP is allowed only because the gateway modules already refuse
//! non-loopback `http://` URLs.

use hocphi_app::{Transport, TransportError};
use hocphi_gateways::ApiRequest;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

const MAX_ANSWER: usize = 64 * 1024;

/// An HTTP(S) client for gateway APIs.
#[derive(Clone, Debug)]
pub struct HttpTransport {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl HttpTransport {
    /// A client with its own connection pool.
    pub fn new() -> Self {
        let connector = HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build();
        Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
        }
    }
}

impl Default for HttpTransport {
    fn default() -> Self {
        Self::new()
    }
}

fn failed(what: &str, err: impl std::fmt::Display) -> TransportError {
    TransportError(format!("{what}: {err}"))
}

impl Transport for HttpTransport {
    async fn send(&self, request: &ApiRequest) -> Result<(u16, Vec<u8>), TransportError> {
        let mut builder = http::Request::builder()
            .method(request.method)
            .uri(&request.url)
            .header(http::header::USER_AGENT, "hocphi");
        if !request.body.is_empty() {
            builder = builder.header(http::header::CONTENT_TYPE, request.content_type);
        }
        for header in &request.headers {
            builder = builder.header(header.name, header.value.as_str());
        }
        let outgoing = builder
            .body(Full::new(Bytes::from(request.body.clone())))
            .map_err(|e| failed("building the request", e))?;
        let exchange = async {
            let response = self
                .client
                .request(outgoing)
                .await
                .map_err(|e| failed("sending", e))?;
            let status = response.status().as_u16();
            let body = Limited::new(response.into_body(), MAX_ANSWER)
                .collect()
                .await
                .map_err(|e| failed("reading the answer", e))?
                .to_bytes();
            Ok((status, body.to_vec()))
        };
        tokio::time::timeout(request.timeout, exchange)
            .await
            .map_err(|_| {
                TransportError(format!(
                    "no answer within {} ms",
                    request.timeout.as_millis()
                ))
            })?
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::{Duration, Instant};

    use super::*;

    #[tokio::test]
    async fn the_channels_own_headers_are_sent_and_a_bodiless_get_carries_no_content_type() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://{}/v2/payment-requests/123",
            listener.local_addr().unwrap()
        );
        let seen = std::thread::spawn(move || {
            use std::io::{BufRead, BufReader, Write};
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = Vec::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line.trim().is_empty() {
                    break;
                }
                head.push(line.trim().to_ascii_lowercase());
            }
            let mut stream = stream;
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
                .unwrap();
            head
        });
        let request = ApiRequest {
            method: "GET",
            url,
            content_type: "application/json; charset=utf-8",
            body: String::new(),
            timeout: Duration::from_secs(5),
            headers: vec![
                hocphi_gateways::Header {
                    name: "x-client-id",
                    value: "client-1".into(),
                    secret: false,
                },
                hocphi_gateways::Header {
                    name: "x-api-key",
                    value: "key-1".into(),
                    secret: true,
                },
            ],
        };

        let answer = HttpTransport::new().send(&request).await.unwrap();

        let head = seen.join().unwrap();
        assert_eq!(answer, (200, b"{}".to_vec()));
        assert!(
            head[0].starts_with("get /v2/payment-requests/123 "),
            "{head:?}"
        );
        assert!(
            head.contains(&"x-client-id: client-1".to_owned()),
            "{head:?}"
        );
        assert!(head.contains(&"x-api-key: key-1".to_owned()), "{head:?}");
        assert!(
            !head.iter().any(|h| h.starts_with("content-type")),
            "{head:?}"
        );
    }

    #[tokio::test]
    async fn a_gateway_that_never_answers_is_given_up_at_the_requests_timeout() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://{}/v2/gateway/api/create",
            listener.local_addr().unwrap()
        );
        std::thread::spawn(move || {
            let held: Vec<_> = listener.incoming().take(1).collect();
            std::thread::sleep(Duration::from_secs(5));
            drop(held);
        });
        let request = ApiRequest {
            method: "POST",
            url,
            content_type: "application/json; charset=utf-8",
            body: "{}".into(),
            timeout: Duration::from_millis(300),
            headers: Vec::new(),
        };
        let started = Instant::now();

        let answer = HttpTransport::new().send(&request).await;

        let waited = started.elapsed();
        let err = answer.unwrap_err();
        assert!(err.0.contains("no answer within 300 ms"), "{err}");
        assert!(
            waited >= Duration::from_millis(300) && waited < Duration::from_secs(2),
            "{waited:?}"
        );
    }
}
