//! hocphi's generic partner profile: JSON bodies, HMAC-SHA256 over a documented canonical
//! string, a timestamp within [`super::REPLAY_WINDOW`] and a nonce used once.
