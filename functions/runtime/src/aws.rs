//! The Lambda functions' glue: configuration at cold start, the DynamoDB store, the secrets from
//! Secrets Manager, the edge's door (the origin secret CloudFront adds), and the conversion
//! between Lambda's HTTP events and the app's one HTTP mapping.
//!
//! Invariants: everything is read and checked once at cold start; a function with incomplete
//! configuration fails its start with one message naming every problem. An HTTP function answers
//! only requests that carry the origin secret, so a caller who skips the CDN (and its WAF rules)
//! by calling the API's own endpoint gets a 404 and nothing else; CloudFront's
//! `CloudFront-Viewer-Address` is believed only on such requests, because a caller of the direct
//! endpoint can set any header.

use std::net::{IpAddr, Ipv4Addr};

use hocphi_app::{ApiError, App, Route};
use hocphi_store::dynamodb::{Client, DynamoStore, SdkConfig, sdk_config};
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};

use crate::config::{
    CALLBACK_CHANNEL, DYNAMODB_ENDPOINT, ORIGIN_HEADER, OriginSecret, VARIABLES, callback_function,
};
use crate::{
    Config, Env, Function, HttpTransport, StoreConfig, SystemClock, build_app, init_logging,
};

/// What a function's start or invocation can fail with.
pub type Error = lambda_http::Error;

/// The app as it runs on Lambda.
pub type LambdaApp = App<DynamoStore, SystemClock, HttpTransport>;

/// A deployed function, ready to answer: its app and the secret its callers must carry.
#[derive(Debug)]
pub struct Deployed {
    pub app: LambdaApp,
    /// Set for the functions behind the CDN ([`Function::behind_cdn`]).
    pub origin: Option<OriginSecret>,
}

/// Builds `function` from the environment (see [`crate::config::VARIABLES`]): every secret
/// whose ARN variable is set is fetched from Secrets Manager and stands in for its value
/// variable; a function never reads a secret it does not use.
pub async fn app_from_env(function: Function) -> Result<Deployed, Error> {
    let env = Env::new();
    let sdk = sdk_config(env.get(DYNAMODB_ENDPOINT).as_deref()).await;
    let secrets = fetch_secrets(&env, &sdk, function).await?;
    let mut config = Config::from_env(env.overriding(secrets), function)?;
    let origin = config.origin_secret.take();
    let StoreConfig::Dynamodb { table, .. } = config.store.clone() else {
        return Err("the Lambda functions keep their state in DynamoDB: set HOCPHI_TABLE".into());
    };
    let store = DynamoStore::new(Client::new(&sdk), table);
    let app = build_app(config, store, SystemClock, HttpTransport::new());
    Ok(Deployed { app, origin })
}

/// The secrets `function` reads whose ARN variable is set, fetched from Secrets Manager, as
/// (value variable, secret) pairs.
async fn fetch_secrets(
    env: &Env,
    sdk: &SdkConfig,
    function: Function,
) -> Result<Vec<(&'static str, String)>, Error> {
    let mut secrets = Vec::new();
    for variable in VARIABLES.iter().filter(|v| v.read_by(function)) {
        let (Some(value_var), Some(arn)) = (variable.secret_of, env.get(variable.name)) else {
            continue;
        };
        let secret = aws_sdk_secretsmanager::Client::new(sdk)
            .get_secret_value()
            .secret_id(arn)
            .send()
            .await?
            .secret_string()
            .unwrap_or_default()
            .trim()
            .to_owned();
        secrets.push((value_var, secret));
    }
    Ok(secrets)
}

/// Whether `request` came through the site's distribution: it carries the origin secret
/// CloudFront adds to every request it sends the API (and overwrites when a viewer sends the
/// header itself). A function that is not behind the CDN admits every request.
fn through_cdn(request: &lambda_http::Request, origin: Option<&OriginSecret>) -> bool {
    let Some(origin) = origin else {
        return true;
    };
    let mut values = request.headers().get_all(ORIGIN_HEADER).iter();
    match (values.next(), values.next()) {
        (Some(value), None) => origin.admits(value.as_bytes()),
        _ => false,
    }
}

/// The parent's address: CloudFront's viewer address when the request came through the site's
/// distribution (`through_cdn`: CloudFront sets the header, and nothing else can reach the
/// function with the origin secret), else API Gateway's source address.
fn client_ip(request: &lambda_http::Request, through_cdn: bool) -> IpAddr {
    let from_cloudfront = || {
        request
            .headers()
            .get("cloudfront-viewer-address")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.rsplit_once(':')
                    .map(|(ip, _)| ip.trim_matches(['[', ']']))
            })
            .and_then(|ip| ip.parse().ok())
    };
    let from_gateway = || match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .http
            .source_ip
            .as_deref()
            .and_then(|ip| ip.parse().ok()),
        _ => None,
    };
    through_cdn
        .then(from_cloudfront)
        .flatten()
        .or_else(from_gateway)
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The answer to a request that skipped the CDN: "no such address", as for any unknown path.
fn refused() -> lambda_http::Response<Body> {
    let error = ApiError::NoRoute;
    let body = serde_json::to_string(&error.body()).unwrap_or_default();
    let mut response = lambda_http::Response::new(Body::from(body));
    *response.status_mut() = http::StatusCode::NOT_FOUND;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// Answers one Lambda HTTP event through the app's mapping, for this function's routes only,
/// when it came through the site's CDN.
pub async fn serve(
    deployed: &Deployed,
    routes: &[Route],
    mut request: lambda_http::Request,
) -> Result<lambda_http::Response<Body>, Error> {
    let through_cdn = through_cdn(&request, deployed.origin.as_ref());
    if !through_cdn {
        tracing::debug!("request without the origin secret refused");
        return Ok(refused());
    }
    let ip = client_ip(&request, through_cdn);
    request.headers_mut().remove(ORIGIN_HEADER);
    let (parts, body) = request.into_parts();
    let request = http::Request::from_parts(parts, body.to_vec());
    let response = deployed.app.handle_only(routes, request, ip).await;
    Ok(response.map(Body::from))
}

/// The whole life of an HTTP function: logging, configuration, then serve its routes forever.
pub async fn run_http(function: Function) -> Result<(), Error> {
    init_logging(true);
    let deployed = app_from_env(function).await?;
    let routes = function.routes();
    lambda_http::run(lambda_http::service_fn(|request| {
        serve(&deployed, routes, request)
    }))
    .await
}

/// The whole life of a callback function: its channel from `HOCPHI_CALLBACK_CHANNEL` (one
/// binary, deployed once per channel), then [`run_http`].
pub async fn run_callback() -> Result<(), Error> {
    let function = callback_function(&Env::new()).ok_or_else(|| {
        format!(
            "{CALLBACK_CHANNEL} must name a payment channel (vnpay, momo, payos, dvcqg) or partner"
        )
    })?;
    run_http(function).await
}

/// The whole life of the sweeper: on each scheduled event, sweep pending payments.
pub async fn run_sweeper() -> Result<(), Error> {
    init_logging(true);
    let deployed = app_from_env(Function::Sweeper).await?;
    let app = &deployed.app;
    lambda_http::lambda_runtime::run(lambda_http::lambda_runtime::service_fn(
        move |_: lambda_http::lambda_runtime::LambdaEvent<serde_json::Value>| async move {
            let report = app.sweep(500).await?;
            let retained = app.retain(500).await?;
            Ok::<_, Error>(serde_json::json!({
                "retention": retained,
                "examined": report.examined,
                "settled": report.settled,
                "expired": report.expired,
                "still_pending": report.still_pending,
                "needs_review": report.needs_review,
                "failed": report.failed,
            }))
        },
    ))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "ORIGINSECRETORIGINSECRETORIGINSECRET0123456789AB";
    const SOURCE: &str = "198.51.100.7";
    const VIEWER: &str = "203.0.113.9";

    /// An HTTP API (payload 2.0) event from `source_ip` with `headers`.
    fn event(source_ip: &str, headers: &[(&str, &str)]) -> lambda_http::Request {
        let headers: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).into()))
            .collect();
        let event = serde_json::json!({
            "version": "2.0",
            "routeKey": "GET /api/invoices",
            "rawPath": "/api/invoices",
            "rawQueryString": "",
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "abc123",
                "domainName": "abc123.execute-api.ap-southeast-1.amazonaws.com",
                "domainPrefix": "abc123",
                "http": {
                    "method": "GET",
                    "path": "/api/invoices",
                    "protocol": "HTTP/1.1",
                    "sourceIp": source_ip,
                    "userAgent": "test"
                },
                "requestId": "r1",
                "routeKey": "GET /api/invoices",
                "stage": "$default",
                "time": "15/Sep/2025:02:00:00 +0000",
                "timeEpoch": 1757901600000_u64
            },
            "isBase64Encoded": false
        });
        lambda_http::request::from_str(&event.to_string()).unwrap()
    }

    /// The address the function believes and whether it admits the request.
    fn seen(request: &lambda_http::Request) -> (bool, IpAddr) {
        let origin = OriginSecret::new(SECRET).unwrap();
        let admitted = through_cdn(request, Some(&origin));
        (admitted, client_ip(request, admitted))
    }

    #[test]
    fn a_viewer_address_set_by_a_caller_on_the_direct_endpoint_is_not_believed() {
        let forged = event(SOURCE, &[("cloudfront-viewer-address", "203.0.113.9:443")]);

        assert_eq!(seen(&forged), (false, SOURCE.parse().unwrap()));
    }

    #[test]
    fn only_a_request_carrying_the_origin_secret_is_admitted_and_its_viewer_believed() {
        let cases = [
            ("through CloudFront", Some(SECRET), true),
            ("no origin header", None, false),
            (
                "a wrong secret",
                Some("ORIGINSECRETORIGINSECRETORIGINSECRET0123456789AC"),
                false,
            ),
            ("a prefix of the secret", Some(&SECRET[..40]), false),
            ("an empty header", Some(""), false),
            (
                "the secret in another case",
                Some("originsecretoriginsecretoriginsecret0123456789ab"),
                false,
            ),
        ];
        for (case, origin, admitted) in cases {
            let mut headers = vec![("cloudfront-viewer-address", "203.0.113.9:51234")];
            headers.extend(origin.map(|value| (ORIGIN_HEADER, value)));
            let request = event(SOURCE, &headers);

            let expected = if admitted { VIEWER } else { SOURCE };
            assert_eq!(
                seen(&request),
                (admitted, expected.parse().unwrap()),
                "{case}"
            );
        }
    }

    #[test]
    fn an_ipv6_viewer_address_is_read_without_its_port() {
        let request = event(
            SOURCE,
            &[
                (ORIGIN_HEADER, SECRET),
                ("cloudfront-viewer-address", "[2001:db8::7]:443"),
            ],
        );

        assert_eq!(seen(&request), (true, "2001:db8::7".parse().unwrap()));
    }

    #[test]
    fn a_function_off_the_cdn_admits_every_request() {
        let request = event(SOURCE, &[]);

        assert!(through_cdn(&request, None));
    }
}
