//! The one mapping from HTTP to the use cases, shared by every Lambda function and the local
//! server.
//!
//! | route | use case |
//! |---|---|
//! | `GET /api/invoices?student=…&code=…` or `?ma=…` | [`App::lookup`] |
//! | `POST /api/payments` (`Idempotency-Key`) | [`App::checkout`] |
//! | `GET /api/payments/{ref}` | [`App::status`] |
//! | `GET /api/callbacks/vnpay` | [`App::callback`] (VNPay IPN) |
//! | `POST /api/callbacks/momo` | [`App::callback`] (MoMo IPN) |
//! | `POST /api/callbacks/payos/{payee}` | [`App::callback`] (payOS webhook, for one payee) |
//! | `POST /api/callbacks/dvcqg` | [`App::callback`] (the portal platform's Confirm) |
//! | `POST /api/partners/{partner}/bills` | [`App::partner`] (a bill look-up) |
//! | `POST /api/partners/{partner}/confirmations` | [`App::partner`] (a payment confirmation: the partner's callback) |
//! | `POST /api/partners/{partner}/reversals` | [`App::partner`] (a reversal request, always refused) |
//! | `GET /api/partners/openapi.json` | the partner API's OpenAPI document (public, cacheable) |
//! | `GET /api/receipts/{id}?t=…&lang=…` | [`App::receipt_response`] |
//!
//! Invariants: bodies are bounded before they are read; every error is JSON
//! `{"error": {"code", "message"}}`; answers about payments are never cached.

use std::net::IpAddr;

use hocphi_domain::{Clock, GatewayKind, Store};
use hocphi_gateways::partner::generic::OPENAPI;
use hocphi_gateways::partner::{PartnerOp, PartnerRequest};
use hocphi_gateways::{RawCallback, Reply};
use http::{Method, Request, Response, StatusCode, header};
use serde::Serialize;

use crate::{ApiError, App, Transport};

/// The largest request body any route reads.
pub const MAX_BODY: usize = 16 * 1024;

/// Which use case a request is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Lookup,
    Checkout,
    Status,
    /// A channel's server-to-server notification.
    Callback(GatewayKind),
    Receipt,
    /// A partner's bill look-up.
    Bills,
    /// A partner's request to reverse a confirmed payment.
    Reversal,
    /// The partner API's OpenAPI document.
    PartnerApi,
}

impl Route {
    /// Every route: the HTTP contract, read by the routing below and by the template checks.
    pub const ALL: [Route; 12] = [
        Route::Lookup,
        Route::Checkout,
        Route::Status,
        Route::Callback(GatewayKind::Payos),
        Route::Callback(GatewayKind::Vnpay),
        Route::Callback(GatewayKind::Momo),
        Route::Callback(GatewayKind::Dvcqg),
        Route::Callback(GatewayKind::Partner),
        Route::Receipt,
        Route::Bills,
        Route::Reversal,
        Route::PartnerApi,
    ];

    /// Every channel's callback route (a partner's confirmation is its callback).
    pub const CALLBACKS: [Route; 5] = [
        Route::Callback(GatewayKind::Payos),
        Route::Callback(GatewayKind::Vnpay),
        Route::Callback(GatewayKind::Momo),
        Route::Callback(GatewayKind::Dvcqg),
        Route::Callback(GatewayKind::Partner),
    ];

    /// The partner API's routes (one function serves them, behind the partners' address list).
    pub const PARTNER: [Route; 4] = [
        Route::Bills,
        Route::Callback(GatewayKind::Partner),
        Route::Reversal,
        Route::PartnerApi,
    ];

    /// The method it answers (`HEAD` too where this is `GET`).
    pub fn method(self) -> &'static str {
        match self {
            Route::Lookup | Route::Status | Route::Receipt | Route::PartnerApi => "GET",
            Route::Checkout | Route::Bills | Route::Reversal => "POST",
            Route::Callback(GatewayKind::Vnpay) => "GET",
            Route::Callback(
                GatewayKind::Momo | GatewayKind::Payos | GatewayKind::Dvcqg | GatewayKind::Partner,
            ) => "POST",
        }
    }

    /// Its path; a `{name}` segment is a parameter.
    pub fn path(self) -> &'static str {
        match self {
            Route::Lookup => "/api/invoices",
            Route::Checkout => "/api/payments",
            Route::Status => "/api/payments/{ref}",
            Route::Callback(GatewayKind::Vnpay) => "/api/callbacks/vnpay",
            Route::Callback(GatewayKind::Momo) => "/api/callbacks/momo",
            Route::Callback(GatewayKind::Payos) => "/api/callbacks/payos/{payee}",
            Route::Callback(GatewayKind::Dvcqg) => "/api/callbacks/dvcqg",
            Route::Callback(GatewayKind::Partner) => "/api/partners/{partner}/confirmations",
            Route::Receipt => "/api/receipts/{id}",
            Route::Bills => "/api/partners/{partner}/bills",
            Route::Reversal => "/api/partners/{partner}/reversals",
            Route::PartnerApi => "/api/partners/openapi.json",
        }
    }

    /// Whether serving this route needs a configured gateway (and so its secret).
    pub fn needs_gateway(self) -> bool {
        match self {
            Route::Checkout | Route::Callback(_) | Route::Bills | Route::Reversal => true,
            Route::Lookup | Route::Status | Route::Receipt | Route::PartnerApi => false,
        }
    }

    /// The path parameter of `segments` if they match this route's path.
    fn matches<'p>(self, segments: &[&'p str]) -> Option<Option<&'p str>> {
        let pattern: Vec<&str> = self.path().split('/').skip(1).collect();
        if pattern.len() != segments.len() {
            return None;
        }
        let mut param = None;
        for (expected, actual) in pattern.iter().zip(segments) {
            if expected.starts_with('{') {
                param = Some(*actual);
            } else if expected != actual {
                return None;
            }
        }
        Some(param)
    }

    /// The route a method and path name, or why none does.
    pub fn of<'p>(method: &Method, path: &'p str) -> Result<(Route, Option<&'p str>), ApiError> {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
        let (route, param) = Route::ALL
            .into_iter()
            .find_map(|route| route.matches(&segments).map(|param| (route, param)))
            .ok_or(ApiError::NoRoute)?;
        let allow = route.method();
        let allowed = allow == method.as_str() || (method == Method::HEAD && allow == "GET");
        if allowed {
            Ok((route, param))
        } else {
            Err(ApiError::MethodNotAllowed { allow })
        }
    }
}

fn query_value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn json_response<T: Serialize>(status: u16, value: &T) -> Response<String> {
    let body = serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned());
    respond(status, "application/json; charset=utf-8", body)
}

fn respond(status: u16, content_type: &str, body: String) -> Response<String> {
    let mut response = Response::new(body);
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    if let Ok(value) = content_type.parse() {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        http::HeaderValue::from_static("nosniff"),
    );
    response
}

fn error_response(err: &ApiError) -> Response<String> {
    err.log();
    let mut response = json_response(err.parts().0, &err.body());
    if let ApiError::MethodNotAllowed { allow } = err {
        response
            .headers_mut()
            .insert(header::ALLOW, http::HeaderValue::from_static(allow));
    }
    response
}

fn require_json(request: &Request<Vec<u8>>) -> Result<(), ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/json") {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType)
    }
}

/// A channel's or partner's reply, in its own format; never cached.
fn reply_response(reply: Reply) -> Response<String> {
    let mut response = Response::new(reply.body);
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    if let Some(content_type) = reply.content_type {
        headers.insert(
            header::CONTENT_TYPE,
            http::HeaderValue::from_static(content_type),
        );
    }
    headers.insert(
        header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    response
}

impl<S: Store, C: Clock, T: Transport> App<S, C, T> {
    /// Answers one HTTP request. `client_ip` is the parent's address as the platform saw it.
    pub async fn handle(&self, request: Request<Vec<u8>>, client_ip: IpAddr) -> Response<String> {
        self.handle_only(&Route::ALL, request, client_ip).await
    }

    /// Answers one HTTP request if it is for one of `routes` (one Lambda function serves only its
    /// own), and "no route" otherwise.
    pub async fn handle_only(
        &self,
        routes: &[Route],
        request: Request<Vec<u8>>,
        client_ip: IpAddr,
    ) -> Response<String> {
        match self.route(routes, &request, client_ip).await {
            Ok(response) => response,
            Err(err) => error_response(&err),
        }
    }

    async fn route(
        &self,
        routes: &[Route],
        request: &Request<Vec<u8>>,
        client_ip: IpAddr,
    ) -> Result<Response<String>, ApiError> {
        let (route, param) = Route::of(request.method(), request.uri().path())?;
        if !routes.contains(&route) {
            return Err(ApiError::NoRoute);
        }
        if request.body().len() > MAX_BODY {
            return Err(ApiError::TooLarge);
        }
        let raw_query = request.uri().query().unwrap_or("");
        let query: Vec<(String, String)> = form_urlencoded::parse(raw_query.as_bytes())
            .into_owned()
            .collect();
        let param = param.unwrap_or("");
        match route {
            Route::Lookup => {
                let payment_code = query_value(&query, "ma");
                let found = if payment_code.is_empty() {
                    self.lookup(
                        query_value(&query, "student"),
                        query_value(&query, "code"),
                        client_ip,
                    )
                    .await?
                } else {
                    self.lookup_by_payment_code(payment_code, client_ip).await?
                };
                Ok(json_response(200, &found))
            }
            Route::Checkout => {
                require_json(request)?;
                let key = request
                    .headers()
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok());
                let stored = self.checkout(key, request.body(), client_ip).await?;
                Ok(respond(
                    stored.status,
                    "application/json; charset=utf-8",
                    stored.body,
                ))
            }
            Route::Status => Ok(json_response(200, &self.status(param).await?)),
            Route::Receipt => Ok(json_response(
                200,
                &self
                    .receipt_response(param, query_value(&query, "t"), query_value(&query, "lang"))
                    .await?,
            )),
            Route::PartnerApi => {
                let mut response = respond(200, "application/json", OPENAPI.to_owned());
                response.headers_mut().insert(
                    header::CACHE_CONTROL,
                    http::HeaderValue::from_static("public, max-age=3600"),
                );
                Ok(response)
            }
            Route::Bills | Route::Reversal | Route::Callback(GatewayKind::Partner) => {
                require_json(request)?;
                let op = match route {
                    Route::Bills => PartnerOp::Bills,
                    Route::Reversal => PartnerOp::Reverse,
                    _ => PartnerOp::Confirm,
                };
                let headers: Vec<(&str, &str)> = request
                    .headers()
                    .iter()
                    .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
                    .collect();
                let partner_request = PartnerRequest {
                    op,
                    path: request.uri().path(),
                    headers: &headers,
                    body: request.body(),
                };
                let reply = self
                    .partner(param, partner_request)
                    .await
                    .ok_or(ApiError::NoRoute)?;
                Ok(reply_response(reply))
            }
            Route::Callback(kind) => {
                let raw = RawCallback {
                    query: raw_query,
                    body: request.body(),
                    path_param: (!param.is_empty()).then_some(param),
                };
                let reply = self.callback(kind, raw).await.ok_or(ApiError::NoRoute)?;
                Ok(reply_response(reply))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_channel_has_its_callback_route_and_every_route_is_reached_by_its_own_path() {
        for kind in GatewayKind::ALL {
            assert!(
                Route::CALLBACKS.contains(&Route::Callback(kind)),
                "{kind:?}"
            );
            assert!(Route::ALL.contains(&Route::Callback(kind)), "{kind:?}");
        }
        for route in Route::ALL {
            let path = route
                .path()
                .replace("{ref}", "HP1")
                .replace("{id}", "R1")
                .replace("{payee}", "BD-THCS-NGOQUYEN")
                .replace("{partner}", "VCB");
            let method = Method::from_bytes(route.method().as_bytes()).unwrap();

            let (found, _) = Route::of(&method, &path).unwrap();

            assert_eq!(found, route, "{path}");
        }
    }
}
