//! The Lambda functions' glue: configuration at cold start, the DynamoDB store, the VNPay hash
//! secret from Secrets Manager, and the conversion between Lambda's HTTP events and the app's one
//! HTTP mapping.
//!
//! Invariant: everything is read and checked once at cold start; a function with incomplete
//! configuration fails its start with one message naming every problem.

use std::net::{IpAddr, Ipv4Addr};

use hocphi_app::App;
use hocphi_store::dynamodb::{Client, DynamoStore, SdkConfig, sdk_config};
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};

use crate::config::{DYNAMODB_ENDPOINT, VARIABLES};
use crate::{
    Config, Env, Function, HttpTransport, StoreConfig, SystemClock, build_app, init_logging,
};

/// What a function's start or invocation can fail with.
pub type Error = lambda_http::Error;

/// The app as it runs on Lambda.
pub type LambdaApp = App<DynamoStore, SystemClock, HttpTransport>;

/// Builds `function`'s app from the environment (see [`crate::config::VARIABLES`]): every secret
/// whose ARN variable is set is fetched from Secrets Manager and stands in for its value
/// variable; a function that never talks to a channel never reads a channel's secret.
pub async fn app_from_env(function: Function) -> Result<LambdaApp, Error> {
    let env = Env::new();
    let sdk = sdk_config(env.get(DYNAMODB_ENDPOINT).as_deref()).await;
    let secrets = fetch_secrets(&env, &sdk, function).await?;
    let config = Config::from_env(env.overriding(secrets), function)?;
    let StoreConfig::Dynamodb { table, .. } = config.store.clone() else {
        return Err("the Lambda functions keep their state in DynamoDB: set HOCPHI_TABLE".into());
    };
    let store = DynamoStore::new(Client::new(&sdk), table);
    Ok(build_app(config, store, SystemClock, HttpTransport::new()))
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
    routes: &[hocphi_app::Route],
    request: lambda_http::Request,
) -> Result<lambda_http::Response<Body>, Error> {
    let ip = client_ip(&request);
    let (parts, body) = request.into_parts();
    let request = http::Request::from_parts(parts, body.to_vec());
    let response = app.handle_only(routes, request, ip).await;
    Ok(response.map(Body::from))
}

/// The whole life of an HTTP function: logging, configuration, then serve its routes forever.
pub async fn run_http(function: Function) -> Result<(), Error> {
    init_logging(true);
    let app = app_from_env(function).await?;
    let routes = function.routes();
    lambda_http::run(lambda_http::service_fn(|request| {
        serve(&app, routes, request)
    }))
    .await
}

/// The whole life of the sweeper: on each scheduled event, sweep pending payments.
pub async fn run_sweeper() -> Result<(), Error> {
    init_logging(true);
    let app = app_from_env(Function::Sweeper).await?;
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
