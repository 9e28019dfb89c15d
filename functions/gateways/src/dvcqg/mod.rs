//! The national public-service portal's payment platform (Nền tảng thanh toán của Cổng Dịch vụ
//! công quốc gia) as a redirect channel: Init, the citizen pays on the platform, Confirm, and a
//! status check for the sweeper. No public specification exists; GATEWAYS.md §5.1 records the
//! message fields two independent implementations use, and every assumption is named where it
//! is made.

pub mod wire;
