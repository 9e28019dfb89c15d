//! QR codes drawn as one SVG path, so a receipt prints its verification code sharply at any
//! size without an image or a script.
//!
//! Error correction is Medium (15 % of the code may be smudged or folded on paper) and the
//! quiet zone is the standard four modules.

use qrcodegen::{QrCode, QrCodeEcc};

/// The blank border around the code, in modules.
pub const QUIET_ZONE: i32 = 4;

/// A QR code ready for `<svg viewBox="0 0 {side} {side}"><path d="{path}"/></svg>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QrSvg {
    /// The side of the code with its quiet zone, in modules.
    pub side: i32,
    /// Dark modules as horizontal runs, one closed sub-path each.
    pub path: String,
}

impl QrSvg {
    /// The code for `text`, or `None` if it is too long for any QR version.
    pub fn encode(text: &str) -> Option<Self> {
        let code = QrCode::encode_binary(text.as_bytes(), QrCodeEcc::Medium).ok()?;
        Some(Self::draw(&code))
    }

    fn draw(code: &QrCode) -> Self {
        let size = code.size();
        let mut path = String::new();
        for y in 0..size {
            let mut x = 0;
            while x < size {
                if !code.get_module(x, y) {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < size && code.get_module(x, y) {
                    x += 1;
                }
                let run = x - start;
                path.push_str(&format!(
                    "M{} {}h{run}v1h-{run}z",
                    start + QUIET_ZONE,
                    y + QUIET_ZONE
                ));
            }
        }
        Self {
            side: size + 2 * QUIET_ZONE,
            path,
        }
    }

    /// The `viewBox` attribute.
    pub fn view_box(&self) -> String {
        format!("0 0 {0} {0}", self.side)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dark_modules_in(path: &str) -> i32 {
        path.split('M')
            .filter(|run| !run.is_empty())
            .map(|run| {
                let h = run.split('h').nth(1).unwrap();
                h.split('v').next().unwrap().parse::<i32>().unwrap()
            })
            .sum()
    }

    #[test]
    fn the_path_covers_exactly_the_dark_modules() {
        let url = format!(
            "https://hocphi.binhdinh.gov.vn/bien-lai/BLHP251005070000ABCDEFGH?t={}",
            "0f".repeat(16)
        );
        let code = QrCode::encode_binary(url.as_bytes(), QrCodeEcc::Medium).unwrap();
        let expected: i32 = (0..code.size())
            .flat_map(|y| (0..code.size()).map(move |x| (x, y)))
            .filter(|(x, y)| code.get_module(*x, *y))
            .count() as i32;
        let svg = QrSvg::encode(&url).unwrap();
        assert_eq!(dark_modules_in(&svg.path), expected);
        assert_eq!(svg.side, code.size() + 8);
        assert_eq!(svg.view_box(), format!("0 0 {0} {0}", svg.side));
    }

    #[test]
    fn a_receipt_address_fits_a_small_printable_code() {
        let url = format!(
            "https://hocphi.thanhhoa.gov.vn/bien-lai/BLHP251005070000ABCDEFGH?t={}",
            "ab".repeat(16)
        );
        let svg = QrSvg::encode(&url).unwrap();
        assert!(
            svg.side <= 49,
            "version 6 or lower, got {} modules",
            svg.side
        );
        assert!(
            svg.path.starts_with("M4 4h7v1h-7z"),
            "the top-left finder pattern"
        );
    }

    #[test]
    fn text_beyond_the_largest_version_has_no_code() {
        assert_eq!(QrSvg::encode(&"x".repeat(3_000)), None);
    }
}
