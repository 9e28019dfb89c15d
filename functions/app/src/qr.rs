//! QR codes drawn for the page and for printed notices: the VietQR payload of a bank transfer
//! and a receipt's own address, as a [`QrPicture`] (one SVG path), so the page needs no encoder.
//!
//! Error correction is Medium (15 % of the code may be smudged or folded on paper), the quiet
//! zone the standard four modules, and the text is encoded in the densest mode that holds it.

use std::fmt::Write;

use hocphi_api::QrPicture;
use qrcodegen::{QrCode, QrCodeEcc};

/// The blank border around the code, in modules.
const QUIET_ZONE: i32 = 4;

/// `text` drawn as a QR code, or `None` if it is too long for any QR version.
pub fn picture(text: &str) -> Option<QrPicture> {
    let code = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
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
            let _ = write!(
                path,
                "M{} {}h{run}v1h-{run}z",
                start + QUIET_ZONE,
                y + QUIET_ZONE
            );
        }
    }
    Some(QrPicture {
        side: u16::try_from(size + 2 * QUIET_ZONE).ok()?,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dark modules a path draws, read back from its runs.
    fn dark_modules(picture: &QrPicture) -> Vec<(i32, i32)> {
        let mut dark = Vec::new();
        for run in picture.path.split('M').filter(|run| !run.is_empty()) {
            let (at, rest) = run.split_once('h').unwrap();
            let (x, y) = at.split_once(' ').unwrap();
            let (x, y): (i32, i32) = (x.parse().unwrap(), y.parse().unwrap());
            let n: i32 = rest.split_once('v').unwrap().0.parse().unwrap();
            assert_eq!(rest, format!("{n}v1h-{n}z"), "one closed run");
            dark.extend((x..x + n).map(|x| (x - QUIET_ZONE, y - QUIET_ZONE)));
        }
        dark
    }

    #[test]
    fn the_path_covers_exactly_the_dark_modules() {
        let cases = [
            format!(
                "https://hocphi.binhdinh.gov.vn/bien-lai/BLHP251005070000ABCDEFGH?t={}",
                "0f".repeat(16)
            ),
            "00020101021238570010A00000072701270006970436011300710001234560208QRIBFTTA53037045407150000058022VN62220818HP251005070000ABCD6304ABCD".to_owned(),
        ];
        for text in cases {
            let code = QrCode::encode_text(&text, QrCodeEcc::Medium).unwrap();
            let expected: Vec<(i32, i32)> = (0..code.size())
                .flat_map(|y| (0..code.size()).map(move |x| (x, y)))
                .filter(|&(x, y)| code.get_module(x, y))
                .collect();
            let picture = picture(&text).unwrap();
            assert_eq!(dark_modules(&picture), expected, "{text}");
            assert_eq!(i32::from(picture.side), code.size() + 8);
        }
    }

    #[test]
    fn an_independent_decoder_reads_back_the_text() {
        let cases = [
            "https://hocphi.gialai.gov.vn/bien-lai/BLHP251005070000ABCDEFGH?t=0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f",
            "00020101021238570010A00000072701270006970436011300710001234560208QRIBFTTA53037045407150000058022VN62220818HP251005070000ABCD6304ABCD",
            "Học phí – Nguyễn Văn An",
        ];
        for text in cases {
            assert_eq!(
                hocphi_fixtures::qr::read(&picture(text).unwrap()).as_deref(),
                Some(text)
            );
        }
    }

    #[test]
    fn a_receipt_address_fits_a_small_printable_code() {
        let url = format!(
            "https://hocphi.thanhhoa.gov.vn/bien-lai/BLHP251005070000ABCDEFGH?t={}",
            "ab".repeat(16)
        );
        let picture = picture(&url).unwrap();
        assert!(
            picture.side <= 49,
            "version 6 or lower, got {} modules",
            picture.side
        );
        assert!(
            picture.path.starts_with("M4 4h7v1h-7z"),
            "the top-left finder pattern"
        );
    }

    #[test]
    fn text_beyond_the_largest_version_has_no_code() {
        assert_eq!(picture(&"x".repeat(3_000)), None);
    }
}
