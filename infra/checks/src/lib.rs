//! Tests only. The checks live in `tests/`: `template.rs` (the SAM template against the
//! workspace's binaries, the HTTP contract, the functions' environment and permissions, and its
//! own references), `samconfig.rs` (every province's config-env), `policy.rs` (the cfn-guard rules
//! of `infra/policy/*.guard`). Each check is also shown rejecting a deliberately broken variant.
