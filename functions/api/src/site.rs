//! What the site's responses carry besides their body, shared by the CDN's response-headers
//! policy (the template checks hold `infra/template.yaml` to it) and the local stack, so a page
//! change that production would block is blocked locally too.

/// The page's Content-Security-Policy: its own scripts and WebAssembly, its own styles and fonts,
/// its own images and `data:` ones (the empty icon that spares a phone the favicon request), API
/// calls to its own origin, nothing evaluated, nothing framed. The only inline blocks admitted are
/// the boot script and the stylesheet `frontend/build.sh` inlines into `index.html`, each by its
/// SHA-256; the build fails, naming the new hash, when either changes and this policy does not.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; \
     script-src 'self' 'wasm-unsafe-eval' 'sha256-/JrkqqnzamQnYwfHLl2r35TUm9XPsOyhYiRumf6eyuw='; \
     style-src 'self' 'sha256-0UecareOO0UxA2q2AzCvel3THQCOgW4vs2Avf850xbE='; img-src 'self' data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The directive the CDN adds on its HTTPS origin (meaningless on the local stack's plain-HTTP
/// loopback origin).
pub const HTTPS_ONLY_DIRECTIVE: &str = "upgrade-insecure-requests";

/// Where the page's links send the referrer.
pub const REFERRER_POLICY: &str = "strict-origin-when-cross-origin";
