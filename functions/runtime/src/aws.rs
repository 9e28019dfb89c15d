//! The Lambda functions' glue: configuration at cold start, the DynamoDB store, the VNPay hash
//! secret from Secrets Manager, and the conversion between Lambda's HTTP events and the app's one
//! HTTP mapping.
//!
//! Invariant: everything is read and checked once at cold start; a function with incomplete
//! configuration fails its start with one message naming every problem.

use std::net::{IpAddr, Ipv4Addr};

use hocphi_app::{App, Gateways, Route, Settings};
use hocphi_store::dynamodb::{Client, DynamoStore, SdkConfig, sdk_config};
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};

use crate::{Env, HttpTransport, SystemClock, init_logging, momo_from_env, vnpay_from_env};

/// What a function's start or invocation can fail with.
pub type Error = lambda_http::Error;

/// The app as it runs on Lambda.
pub type LambdaApp = App<DynamoStore, SystemClock, HttpTransport>;

/// Builds the app from the environment: `HOCPHI_TABLE`, `HOCPHI_SITE_URL`, optional
/// `HOCPHI_DYNAMODB_ENDPOINT`; and when `with_gateway`, `HOCPHI_VNPAY_TMN_CODE`,
/// `HOCPHI_VNPAY_SECRET_ARN` (or `HOCPHI_VNPAY_HASH_SECRET` when no ARN is given, for local runs),
/// optional `HOCPHI_VNPAY_PAY_URL`/`HOCPHI_VNPAY_API_URL`, and MoMo when
/// `HOCPHI_MOMO_PARTNER_CODE` is set (see [`momo_from_env`]; its key by
/// `HOCPHI_MOMO_SECRET_ARN` or `HOCPHI_MOMO_SECRET_KEY`). Functions that never talk to a gateway
/// never read its secrets.
pub async fn app_from_env(with_gateway: bool) -> Result<LambdaApp, Error> {
    let mut env = Env::new();
    let table = env.required("HOCPHI_TABLE");
    let site_url = env.required("HOCPHI_SITE_URL");
    let endpoint = env.optional("HOCPHI_DYNAMODB_ENDPOINT");
    let config = sdk_config(endpoint.as_deref()).await;
    let gateways = if with_gateway {
        let secret = read_secret(
            &mut env,
            &config,
            "HOCPHI_VNPAY_SECRET_ARN",
            "HOCPHI_VNPAY_HASH_SECRET",
        )
        .await?;
        let vnpay = vnpay_from_env(&mut env, secret);
        let momo = match env.optional("HOCPHI_MOMO_PARTNER_CODE") {
            Some(_) => {
                let key = read_secret(
                    &mut env,
                    &config,
                    "HOCPHI_MOMO_SECRET_ARN",
                    "HOCPHI_MOMO_SECRET_KEY",
                )
                .await?;
                momo_from_env(&mut env, &site_url, key)
            }
            None => None,
        };
        Gateways { vnpay, momo }
    } else {
        Gateways::default()
    };
    env.finish()?;
    let store = DynamoStore::new(Client::new(&config), table);
    Ok(App::new(
        store,
        SystemClock,
        HttpTransport::new(),
        gateways,
        Settings::new(site_url),
    ))
}

/// A gateway secret: from Secrets Manager by the ARN in `arn_var`, or from the environment
/// variable `value_var` when no ARN is given (local runs).
async fn read_secret(
    env: &mut Env,
    config: &SdkConfig,
    arn_var: &'static str,
    value_var: &'static str,
) -> Result<Option<String>, Error> {
    Ok(match env.optional(arn_var) {
        Some(arn) => Some(
            aws_sdk_secretsmanager::Client::new(config)
                .get_secret_value()
                .secret_id(arn)
                .send()
                .await?
                .secret_string()
                .unwrap_or_default()
                .trim()
                .to_owned(),
        ),
        None => Some(env.required(value_var)),
    })
}

/// The parent's address: CloudFront's viewer address when the request came through the site's
/// distribution (CloudFront sets it; a viewer cannot), else API Gateway's source address.
fn client_ip(request: &lambda_http::Request) -> IpAddr {
    let from_cloudfront = request
        .headers()
        .get("cloudfront-viewer-address")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.rsplit_once(':')
                .map(|(ip, _)| ip.trim_matches(['[', ']']))
        })
        .and_then(|ip| ip.parse().ok());
    let from_gateway = || match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .http
            .source_ip
            .as_deref()
            .and_then(|ip| ip.parse().ok()),
        _ => None,
    };
    from_cloudfront
        .or_else(from_gateway)
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// Answers one Lambda HTTP event through the app's mapping, for this function's routes only.
pub async fn serve(
    app: &LambdaApp,
    routes: &[Route],
    request: lambda_http::Request,
) -> Result<lambda_http::Response<Body>, Error> {
    let ip = client_ip(&request);
    let (parts, body) = request.into_parts();
    let request = http::Request::from_parts(parts, body.to_vec());
    let response = app.handle_only(routes, request, ip).await;
    Ok(response.map(Body::from))
}

/// The whole life of an HTTP function: logging, configuration, then serve `routes` forever.
pub async fn run_http(routes: &'static [Route]) -> Result<(), Error> {
    init_logging(true);
    let app = app_from_env(routes.iter().any(|r| r.needs_gateway())).await?;
    lambda_http::run(lambda_http::service_fn(|request| {
        serve(&app, routes, request)
    }))
    .await
}

/// The whole life of the sweeper: on each scheduled event, sweep pending payments.
pub async fn run_sweeper() -> Result<(), Error> {
    init_logging(true);
    let app = app_from_env(true).await?;
    let app = &app;
    lambda_http::lambda_runtime::run(lambda_http::lambda_runtime::service_fn(
        move |_: lambda_http::lambda_runtime::LambdaEvent<serde_json::Value>| async move {
            let report = app.sweep(500).await?;
            Ok::<_, Error>(serde_json::json!({
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
