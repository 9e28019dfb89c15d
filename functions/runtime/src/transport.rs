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
        let outgoing = http::Request::builder()
            .method(request.method)
            .uri(&request.url)
            .header(http::header::CONTENT_TYPE, request.content_type)
            .header(http::header::USER_AGENT, "hocphi")
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
