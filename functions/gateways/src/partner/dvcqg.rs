//! The national public-service portal's payment platform as a bill-payment partner: its GetBill
//! and Confirm messages and their `MaXacThuc` checksum (GATEWAYS.md §5.1 records what is public;
//! every assumption is named where it is made).
