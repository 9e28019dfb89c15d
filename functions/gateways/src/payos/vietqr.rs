//! The VietQR payload (NAPAS's profile of the EMVCo merchant-presented QR code) for a transfer
//! to a bank account: build and parse.
//!
//! A payload is a run of fields, each a two-digit id, a two-digit length and that many
//! characters: `00` format `01`; `01` `11` (static) or `12` (dynamic, one payment); `38` the
//! account, itself `00` NAPAS's id `A000000727`, `01` (`00` the bank's 6-digit BIN, `01` the
//! account) and `02` the service `QRIBFTTA` (transfer to an account); `53` currency `704`
//! (VND); `54` the amount; `58` `VN`; `62` (`08` the memo); and last `63`, the CRC-16/CCITT-FALSE
//! (polynomial 0x1021, initial 0xFFFF) of everything before its value, `6304` included, as 4
//! upper-case hex digits.
//!
//! Invariants: [`VietQr::payload`] writes only fields whose lengths fit two digits and whose
//! values are ASCII; [`VietQr::parse`] accepts a payload only if every length is exact, the CRC
//! matches and the mandatory fields hold the values above; fields it does not use are skipped,
//! a repeated one refuses the payload.

use std::fmt::Write;

/// NAPAS's application id in field `38`.
pub const NAPAS_GUID: &str = "A000000727";
/// The service "transfer to an account" (`38`/`02`).
pub const ACCOUNT_TRANSFER: &str = "QRIBFTTA";

/// A transfer to a bank account, as a VietQR code carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VietQr {
    /// The receiving bank's BIN: 6 digits.
    pub bin: String,
    /// The receiving account: 1 to 19 ASCII letters or digits.
    pub account: String,
    /// The amount in VND; a code with one is dynamic (`01` = `12`), one without static.
    pub amount: Option<u64>,
    /// The transfer memo (`62`/`08`): at most 25 printable ASCII characters.
    pub memo: Option<String>,
}

/// Why a VietQR payload was not built or not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VietQrError {
    #[error("a field's id or length is not two digits, or runs past the end")]
    Truncated,
    #[error("the payload does not end with its CRC field 6304")]
    NoCrc,
    #[error("the CRC does not match the payload")]
    BadCrc,
    #[error("field {0} appears more than once")]
    Repeated(String),
    #[error("field {0} is missing")]
    Missing(&'static str),
    #[error("field {0} is invalid")]
    Invalid(&'static str),
}

impl VietQr {
    /// The payload text, CRC included.
    pub fn payload(&self) -> Result<String, VietQrError> {
        if self.bin.len() != 6 || !self.bin.bytes().all(|b| b.is_ascii_digit()) {
            return Err(VietQrError::Invalid("bin"));
        }
        if !(1..=19).contains(&self.account.len())
            || !self.account.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(VietQrError::Invalid("account"));
        }
        if let Some(memo) = &self.memo
            && (memo.is_empty()
                || memo.len() > 25
                || !memo.bytes().all(|b| b.is_ascii_graphic() || b == b' '))
        {
            return Err(VietQrError::Invalid("memo"));
        }
        let mut beneficiary = String::new();
        field(&mut beneficiary, "00", &self.bin)?;
        field(&mut beneficiary, "01", &self.account)?;
        let mut merchant = String::new();
        field(&mut merchant, "00", NAPAS_GUID)?;
        field(&mut merchant, "01", &beneficiary)?;
        field(&mut merchant, "02", ACCOUNT_TRANSFER)?;
        let mut out = String::new();
        field(&mut out, "00", "01")?;
        field(
            &mut out,
            "01",
            if self.amount.is_some() { "12" } else { "11" },
        )?;
        field(&mut out, "38", &merchant)?;
        field(&mut out, "53", "704")?;
        if let Some(amount) = self.amount {
            if amount == 0 {
                return Err(VietQrError::Invalid("amount"));
            }
            field(&mut out, "54", &amount.to_string())?;
        }
        field(&mut out, "58", "VN")?;
        if let Some(memo) = &self.memo {
            let mut additional = String::new();
            field(&mut additional, "08", memo)?;
            field(&mut out, "62", &additional)?;
        }
        out.push_str("6304");
        let crc = crc16_ccitt_false(out.as_bytes());
        let _ = write!(out, "{crc:04X}");
        Ok(out)
    }

    /// Reads and checks a payload.
    pub fn parse(payload: &str) -> Result<Self, VietQrError> {
        if !payload.is_ascii() {
            return Err(VietQrError::Invalid("payload"));
        }
        let body = payload
            .len()
            .checked_sub(4)
            .and_then(|end| payload.get(..end))
            .filter(|body| body.ends_with("6304"))
            .ok_or(VietQrError::NoCrc)?;
        let received = payload.get(body.len()..).ok_or(VietQrError::NoCrc)?;
        if !received
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
        {
            return Err(VietQrError::BadCrc);
        }
        let received = u16::from_str_radix(received, 16).map_err(|_| VietQrError::BadCrc)?;
        let top = fields(payload)?;
        if top.last().map(|(id, _)| *id) != Some("63") {
            return Err(VietQrError::NoCrc);
        }
        if crc16_ccitt_false(body.as_bytes()) != received {
            return Err(VietQrError::BadCrc);
        }
        if get(&top, "00") != Some("01") {
            return Err(VietQrError::Invalid("00"));
        }
        let dynamic = match get(&top, "01").ok_or(VietQrError::Missing("01"))? {
            "12" => true,
            "11" => false,
            _ => return Err(VietQrError::Invalid("01")),
        };
        if get(&top, "53") != Some("704") {
            return Err(VietQrError::Invalid("53"));
        }
        if get(&top, "58") != Some("VN") {
            return Err(VietQrError::Invalid("58"));
        }
        let merchant = fields(get(&top, "38").ok_or(VietQrError::Missing("38"))?)?;
        if get(&merchant, "00") != Some(NAPAS_GUID) {
            return Err(VietQrError::Invalid("38.00"));
        }
        if get(&merchant, "02") != Some(ACCOUNT_TRANSFER) {
            return Err(VietQrError::Invalid("38.02"));
        }
        let beneficiary = fields(get(&merchant, "01").ok_or(VietQrError::Missing("38.01"))?)?;
        let bin = get(&beneficiary, "00").ok_or(VietQrError::Missing("38.01.00"))?;
        let account = get(&beneficiary, "01").ok_or(VietQrError::Missing("38.01.01"))?;
        let amount = match get(&top, "54") {
            Some(raw) => Some(
                raw.parse::<u64>()
                    .ok()
                    .filter(|a| *a > 0 && raw.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or(VietQrError::Invalid("54"))?,
            ),
            None => None,
        };
        if dynamic != amount.is_some() {
            return Err(VietQrError::Invalid("01"));
        }
        let memo = match get(&top, "62") {
            Some(additional) => get(&fields(additional)?, "08").map(str::to_owned),
            None => None,
        };
        let qr = Self {
            bin: bin.to_owned(),
            account: account.to_owned(),
            amount,
            memo,
        };
        if qr.bin.len() != 6 || !qr.bin.bytes().all(|b| b.is_ascii_digit()) {
            return Err(VietQrError::Invalid("38.01.00"));
        }
        if !(1..=19).contains(&qr.account.len()) {
            return Err(VietQrError::Invalid("38.01.01"));
        }
        Ok(qr)
    }
}

fn get<'a>(fields: &[(&str, &'a str)], id: &str) -> Option<&'a str> {
    fields.iter().find(|(f, _)| *f == id).map(|(_, v)| *v)
}

fn field(out: &mut String, id: &str, value: &str) -> Result<(), VietQrError> {
    if value.len() > 99 || !value.is_ascii() {
        return Err(VietQrError::Invalid("length"));
    }
    let _ = write!(out, "{id}{:02}{value}", value.len());
    Ok(())
}

/// The fields of a TLV run, in order; every length must be exact and no id repeated.
fn fields(mut rest: &str) -> Result<Vec<(&str, &str)>, VietQrError> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    while !rest.is_empty() {
        let head = rest.get(..4).ok_or(VietQrError::Truncated)?;
        if !head.bytes().all(|b| b.is_ascii_digit()) {
            return Err(VietQrError::Truncated);
        }
        let (id, len) = head.split_at(2);
        let len: usize = len.parse().map_err(|_| VietQrError::Truncated)?;
        let value = rest.get(4..4 + len).ok_or(VietQrError::Truncated)?;
        if out.iter().any(|(seen, _)| *seen == id) {
            return Err(VietQrError::Repeated(id.to_owned()));
        }
        out.push((id, value));
        rest = &rest[4 + len..];
    }
    Ok(out)
}

/// CRC-16/CCITT-FALSE: polynomial 0x1021, initial 0xFFFF, no reflection, no final XOR.
pub fn crc16_ccitt_false(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0xFFFF_u16, |mut crc, byte| {
        crc ^= u16::from(*byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
        crc
    })
}
