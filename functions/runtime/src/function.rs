//! hocphi's deployed functions as data: each one's name, binary, the routes it serves, the
//! payment channels it talks to (and so whose settings and secrets it reads), whether it sits
//! behind the site's CDN, and the alarmed use cases it runs. The `main.rs` of each Lambda crate
//! names its [`Function`]; the template checks read this table.
//!
//! Invariant: each channel's notifications have their own deployed function
//! ([`Function::Callback`]), built from one `callback` binary, so a flood of one channel's
//! callbacks cannot take another's capacity.

use hocphi_app::Route;
use hocphi_app::alarm::UseCase;
use hocphi_domain::GatewayKind;

/// One process hocphi deploys (or runs locally).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Function {
    Lookup,
    Checkout,
    Status,
    /// One channel's notifications; for [`GatewayKind::Partner`], the whole partner API
    /// ([`Route::PARTNER`]: look-ups, confirmations, reversals and its document).
    Callback(GatewayKind),
    Receipt,
    Sweeper,
    /// The local stack: every route and every channel in one process (never deployed).
    Local,
}

impl Function {
    /// The deployed functions, in the template's order.
    pub const DEPLOYED: [Function; 10] = [
        Function::Lookup,
        Function::Checkout,
        Function::Status,
        Function::Callback(GatewayKind::Vnpay),
        Function::Callback(GatewayKind::Momo),
        Function::Callback(GatewayKind::Payos),
        Function::Callback(GatewayKind::Dvcqg),
        Function::Callback(GatewayKind::Partner),
        Function::Receipt,
        Function::Sweeper,
    ];

    /// Its name: the binary's, for a callback `callback-<channel>`, for the partner API
    /// `partners`.
    pub fn name(self) -> &'static str {
        match self {
            Function::Callback(GatewayKind::Vnpay) => "callback-vnpay",
            Function::Callback(GatewayKind::Momo) => "callback-momo",
            Function::Callback(GatewayKind::Payos) => "callback-payos",
            Function::Callback(GatewayKind::Dvcqg) => "callback-dvcqg",
            Function::Callback(GatewayKind::Partner) => "partners",
            other => other.binary(),
        }
    }

    /// The name of its binary (the SAM `Binary:` of a deployed function); every channel's
    /// callback function runs the one `callback` binary.
    pub fn binary(self) -> &'static str {
        match self {
            Function::Lookup => "lookup",
            Function::Checkout => "checkout",
            Function::Status => "status",
            Function::Callback(_) => "callback",
            Function::Receipt => "receipt",
            Function::Sweeper => "sweeper",
            Function::Local => "hocphi-local",
        }
    }

    /// The HTTP routes it serves (the sweeper serves none: it runs on a schedule).
    pub fn routes(self) -> &'static [Route] {
        match self {
            Function::Lookup => &[Route::Lookup],
            Function::Checkout => &[Route::Checkout],
            Function::Status => &[Route::Status],
            Function::Callback(GatewayKind::Vnpay) => &[Route::Callback(GatewayKind::Vnpay)],
            Function::Callback(GatewayKind::Momo) => &[Route::Callback(GatewayKind::Momo)],
            Function::Callback(GatewayKind::Payos) => &[Route::Callback(GatewayKind::Payos)],
            Function::Callback(GatewayKind::Dvcqg) => &[Route::Callback(GatewayKind::Dvcqg)],
            Function::Callback(GatewayKind::Partner) => &Route::PARTNER,
            Function::Receipt => &[Route::Receipt],
            Function::Sweeper => &[],
            Function::Local => &Route::ALL,
        }
    }

    /// Whether it checks lookup codes or payment codes (it serves the look-up, checkout or the
    /// partners' look-ups and confirmations), and so reads the lookup key.
    pub fn checks_lookup_codes(self) -> bool {
        self.routes().iter().any(|r| {
            matches!(
                r,
                Route::Lookup
                    | Route::Checkout
                    | Route::Bills
                    | Route::Callback(GatewayKind::Partner)
            )
        })
    }

    /// The channels whose APIs it calls or whose messages it verifies, and so whose settings and
    /// secrets it reads.
    pub fn channels(self) -> &'static [GatewayKind] {
        match self {
            Function::Checkout | Function::Sweeper => &GatewayKind::CHECKOUT,
            Function::Local => &GatewayKind::ALL,
            Function::Callback(GatewayKind::Vnpay) => &[GatewayKind::Vnpay],
            Function::Callback(GatewayKind::Momo) => &[GatewayKind::Momo],
            Function::Callback(GatewayKind::Payos) => &[GatewayKind::Payos],
            Function::Callback(GatewayKind::Dvcqg) => &[GatewayKind::Dvcqg],
            Function::Callback(GatewayKind::Partner) => &[GatewayKind::Partner],
            Function::Lookup | Function::Status | Function::Receipt => &[],
        }
    }

    /// Whether it tells parents which channels the province offers without talking to any (the
    /// look-up), and so reads the list of them (`HOCPHI_CHANNELS`).
    pub fn lists_channels(self) -> bool {
        self == Function::Lookup
    }

    /// Whether it talks to any payment channel.
    pub fn talks_to_channels(self) -> bool {
        !self.channels().is_empty()
    }

    /// Whether it is reached only through the site's CDN, and so answers only requests that
    /// carry the origin secret CloudFront adds (the deployed HTTP functions).
    pub fn behind_cdn(self) -> bool {
        self != Function::Local && !self.routes().is_empty()
    }

    /// The use cases it runs that log alarmed messages (`hocphi_app::alarm::logged_by`).
    pub fn alarmed(self) -> &'static [UseCase] {
        match self {
            Function::Callback(GatewayKind::Partner) => &[UseCase::Partner],
            Function::Callback(_) => &[UseCase::Callback],
            Function::Sweeper => &[UseCase::Sweep],
            Function::Local => &[UseCase::Callback, UseCase::Sweep, UseCase::Partner],
            Function::Lookup | Function::Checkout | Function::Status | Function::Receipt => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_served_by_exactly_one_deployed_function() {
        for route in Route::ALL {
            let serving: Vec<&str> = Function::DEPLOYED
                .iter()
                .filter(|f| f.routes().contains(&route))
                .map(|f| f.name())
                .collect();
            assert_eq!(serving.len(), 1, "{route:?} is served by {serving:?}");
        }
    }

    #[test]
    fn a_function_serving_a_route_that_needs_a_channel_talks_to_the_channels() {
        for function in Function::DEPLOYED {
            if function.routes().iter().any(|r| r.needs_gateway()) {
                assert!(function.talks_to_channels(), "{function:?}");
            }
        }
    }

    #[test]
    fn every_channel_has_its_own_callback_function_that_talks_to_it_alone() {
        for kind in GatewayKind::CHECKOUT {
            let function = Function::Callback(kind);

            assert!(Function::DEPLOYED.contains(&function), "{kind:?}");
            assert_eq!(function.routes(), [Route::Callback(kind)]);
            assert_eq!(function.channels(), [kind]);
            assert_eq!(function.name(), format!("callback-{}", kind.as_str()));
        }
    }

    #[test]
    fn the_partner_api_is_one_function_that_talks_to_the_partners_alone() {
        let function = Function::Callback(GatewayKind::Partner);

        assert!(Function::DEPLOYED.contains(&function));
        assert_eq!(function.routes(), Route::PARTNER);
        assert_eq!(function.channels(), [GatewayKind::Partner]);
        assert_eq!(function.name(), "partners");
        assert!(function.checks_lookup_codes());
    }

    #[test]
    fn deployed_functions_have_distinct_names_and_only_http_ones_sit_behind_the_cdn() {
        for (i, function) in Function::DEPLOYED.iter().enumerate() {
            assert!(
                Function::DEPLOYED[i + 1..]
                    .iter()
                    .all(|f| f.name() != function.name()),
                "{function:?}"
            );
            assert_eq!(function.behind_cdn(), !function.routes().is_empty());
        }
        assert!(!Function::Local.behind_cdn());
    }
}
