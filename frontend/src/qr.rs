//! QR codes drawn as one SVG path, so a receipt prints its verification code sharply at any
//! size without an image or a script, and as a PNG picture a phone can save to its gallery (a
//! bank transfer's VietQR code, which banking apps scan from a picture).
//!
//! Error correction is Medium (15 % of the code may be smudged or folded on paper) and the
//! quiet zone is the standard four modules. The PNG is black and white, one bit a pixel, its
//! data in stored (uncompressed) DEFLATE blocks: valid for every decoder (RFC 1950, RFC 1951,
//! PNG specification) and small enough for a code of a few dozen modules.

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

/// A text encoded once, to be drawn as SVG and as PNG.
#[derive(Clone)]
pub struct Code(QrCode);

impl std::fmt::Debug for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Code")
            .field("size", &self.0.size())
            .finish()
    }
}

impl Code {
    /// The code for `text`, or `None` if it is too long for any QR version (kept out of line:
    /// the encoder is the largest part).
    #[inline(never)]
    pub fn encode(text: &str) -> Option<Self> {
        QrCode::encode_binary(text.as_bytes(), QrCodeEcc::Medium)
            .ok()
            .map(Self)
    }

    /// The code as one SVG path.
    pub fn svg(&self) -> QrSvg {
        QrSvg::draw(&self.0)
    }
}

impl QrSvg {
    /// The code for `text`, or `None` if it is too long for any QR version.
    pub fn encode(text: &str) -> Option<Self> {
        Code::encode(text).map(|code| code.svg())
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

/// The code as a PNG, `scale` pixels a module (`None` only beyond any real code's size).
pub fn png(Code(code): &Code, scale: u32) -> Option<Vec<u8>> {
    let modules = u32::try_from(code.size() + 2 * QUIET_ZONE).ok()?;
    let side = modules.checked_mul(scale.max(1))?;
    let row_bytes = side.div_ceil(8) as usize;
    let mut pixels = Vec::with_capacity((row_bytes + 1) * side as usize);
    for y in 0..side {
        pixels.push(0);
        let module_y = (y / scale.max(1)) as i32 - QUIET_ZONE;
        let start = pixels.len();
        pixels.resize(start + row_bytes, 0);
        for x in 0..side {
            let module_x = (x / scale.max(1)) as i32 - QUIET_ZONE;
            if !code.get_module(module_x, module_y) {
                pixels[start + (x / 8) as usize] |= 0x80 >> (x % 8);
            }
        }
    }
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&side.to_be_bytes());
    header.extend_from_slice(&side.to_be_bytes());
    header.extend_from_slice(&[1, 0, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", &zlib_stored(&pixels));
    chunk(&mut out, b"IEND", &[]);
    Some(out)
}

/// The PNG of [`png`] as a `data:` address, for a download link.
pub fn png_data_url(code: &Code, scale: u32) -> Option<String> {
    png(code, scale).map(|bytes| format!("data:image/png;base64,{}", base64(&bytes)))
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let mut blocks = data.chunks(u16::MAX as usize).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        let len = block.len() as u16;
        out.push(u8::from(blocks.peek().is_none()));
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for byte in data {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xedb8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let n = group
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= group.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pixels of a PNG written by [`png`]: its side and its rows without filter bytes.
    fn decode(png: &[u8]) -> (u32, Vec<Vec<u8>>) {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let mut at = 8;
        let (mut side, mut zlib) = (0, Vec::new());
        while at < png.len() {
            let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
            let body = &png[at + 4..at + 8 + len];
            let crc = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().unwrap());
            assert_eq!(crc32(body), crc, "chunk CRC");
            match &body[..4] {
                b"IHDR" => {
                    side = u32::from_be_bytes(body[4..8].try_into().unwrap());
                    assert_eq!(&body[4..8], &body[8..12], "square");
                    assert_eq!(
                        &body[12..17],
                        &[1, 0, 0, 0, 0],
                        "1-bit greyscale, no interlace"
                    );
                }
                b"IDAT" => zlib.extend_from_slice(&body[4..]),
                b"IEND" => assert_eq!(len, 0),
                other => panic!("unexpected chunk {other:?}"),
            }
            at += 12 + len;
        }
        assert_eq!(&zlib[..2], &[0x78, 0x01]);
        let (mut data, mut at) = (Vec::new(), 2);
        loop {
            let last = zlib[at] & 1 == 1;
            let len = u16::from_le_bytes([zlib[at + 1], zlib[at + 2]]) as usize;
            let nlen = u16::from_le_bytes([zlib[at + 3], zlib[at + 4]]) as usize;
            assert_eq!(len, !nlen & 0xffff);
            data.extend_from_slice(&zlib[at + 5..at + 5 + len]);
            at += 5 + len;
            if last {
                break;
            }
        }
        let (mut a, mut b) = (1u32, 0u32);
        for byte in &data {
            a = (a + u32::from(*byte)) % 65_521;
            b = (b + a) % 65_521;
        }
        assert_eq!(&zlib[at..], &((b << 16) | a).to_be_bytes());
        let row = side.div_ceil(8) as usize + 1;
        assert_eq!(data.len(), row * side as usize);
        let rows = data
            .chunks(row)
            .map(|r| {
                assert_eq!(r[0], 0, "no filter");
                r[1..].to_vec()
            })
            .collect();
        (side, rows)
    }

    fn is_dark(rows: &[Vec<u8>], x: u32, y: u32) -> bool {
        rows[y as usize][(x / 8) as usize] & (0x80 >> (x % 8)) == 0
    }

    #[test]
    fn the_png_has_every_module_at_its_scale_inside_a_white_quiet_zone() {
        let payload = "00020101021238570010A000000727012700069704360113007100012345602\
                       08QRIBFTTA530370454071500000580\
                       2VN62220818HP251005070000ABCD6304ABCD";
        let code = QrCode::encode_binary(payload.as_bytes(), QrCodeEcc::Medium).unwrap();
        let scale = 8;
        let (side, rows) = decode(&png(&Code::encode(payload).unwrap(), scale).unwrap());
        assert_eq!(side, (code.size() as u32 + 8) * scale);
        for y in 0..side {
            for x in 0..side {
                let (mx, my) = ((x / scale) as i32 - 4, (y / scale) as i32 - 4);
                assert_eq!(
                    is_dark(&rows, x, y),
                    code.get_module(mx, my),
                    "pixel {x},{y}"
                );
            }
        }
        assert!(!is_dark(&rows, 0, 0) && is_dark(&rows, 4 * scale, 4 * scale));
    }

    #[test]
    fn a_large_picture_spans_several_stored_blocks() {
        let (side, rows) = decode(&png(&Code::encode(&"x".repeat(1_000)).unwrap(), 8).unwrap());
        assert!((side.div_ceil(8) + 1) * side > u32::from(u16::MAX));
        assert!(!is_dark(&rows, side - 1, side - 1));
    }

    #[test]
    fn checksums_and_base64_match_their_published_values() {
        assert_eq!(
            crc32(b"IEND"),
            0xae42_6082,
            "the IEND chunk every PNG ends with"
        );
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926, "CRC-32 check value");
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (raw, encoded) in cases {
            assert_eq!(
                base64(raw.as_bytes()),
                encoded,
                "RFC 4648 test vector {raw:?}"
            );
        }
        let url = png_data_url(&Code::encode("HP251005070000ABCD").unwrap(), 2).unwrap();
        assert!(
            url.starts_with("data:image/png;base64,iVBORw0KGgo"),
            "{url}"
        );
    }

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
