//! VietQR
