//! hocphi's deployed functions as data: each one's binary name, the routes it serves and whether
//! it talks to the payment channels (and so reads their settings and secrets). The `main.rs` of
//! each Lambda crate names its [`Function`]; the template checks read this table.

use hocphi_app::Route;

/// One process hocphi deploys (or runs locally).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Function {
    Lookup,
    Checkout,
    Status,
    Callback,
    Receipt,
    Sweeper,
    /// The local stack: every route and every channel in one process (never deployed).
    Local,
}

impl Function {
    /// The deployed functions, in the template's order.
    pub const DEPLOYED: [Function; 6] = [
        Function::Lookup,
        Function::Checkout,
        Function::Status,
        Function::Callback,
        Function::Receipt,
        Function::Sweeper,
    ];

    /// The name of its binary (the SAM `Binary:` of a deployed function).
    pub fn binary(self) -> &'static str {
        match self {
            Function::Lookup => "lookup",
            Function::Checkout => "checkout",
            Function::Status => "status",
            Function::Callback => "callback",
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
            Function::Callback => &Route::CALLBACKS,
            Function::Receipt => &[Route::Receipt],
            Function::Sweeper => &[],
            Function::Local => &Route::ALL,
        }
    }

    /// Whether it checks lookup codes (it serves the look-up or checkout), and so reads the
    /// lookup key.
    pub fn checks_lookup_codes(self) -> bool {
        self.routes()
            .iter()
            .any(|r| matches!(r, Route::Lookup | Route::Checkout))
    }

    /// Whether it talks to the payment channels' APIs or verifies their messages, and so reads
    /// their settings and secrets.
    pub fn talks_to_channels(self) -> bool {
        match self {
            Function::Checkout | Function::Callback | Function::Sweeper | Function::Local => true,
            Function::Lookup | Function::Status | Function::Receipt => false,
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
                .map(|f| f.binary())
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
}
