//! QR codes as the functions draw them ([`QrPicture`]: one SVG path, so a receipt prints its
//! verification code sharply at any size without an image or a script, and the page carries no
//! encoder), and as a PNG picture a phone can save to its gallery (a bank transfer's VietQR code,
//! which banking apps scan from a picture).
//!
//! The PNG is black and white, one bit a pixel, its data in stored (uncompressed) DEFLATE
//! blocks: valid for every decoder (RFC 1950, RFC 1951, PNG specification) and small enough for
//! a code of a few dozen modules.

use hocphi_api::QrPicture;

/// The `viewBox` attribute of a picture's `<svg>`.
pub fn view_box(picture: &QrPicture) -> String {
    format!("0 0 {0} {0}", picture.side)
}

/// The dark runs of a picture's path, `(x, y, length)` in modules from the picture's corner;
/// `None` if the path is not runs as [`QrPicture`] describes them.
fn runs(picture: &QrPicture) -> Option<Vec<(u32, u32, u32)>> {
    let number = |text: &str| text.parse::<u32>().ok();
    let mut runs = Vec::new();
    for run in picture.path.split('M').skip(1) {
        let (x, rest) = run.split_once(' ')?;
        let (y, rest) = rest.split_once('h')?;
        let (n, rest) = rest.split_once('v')?;
        (rest.strip_prefix("1h-")?.strip_suffix('z')? == n).then_some(())?;
        runs.push((number(x)?, number(y)?, number(n)?));
    }
    (picture.path.is_empty() || picture.path.starts_with('M')).then_some(runs)
}

/// The side of the largest QR code (version 40) with its quiet zone, in modules.
const LARGEST: u32 = 177 + 8;

/// The picture as a PNG, `scale` pixels a module (`None` if it is empty or larger than any QR
/// code, or its path is not runs of modules inside it).
pub fn png(picture: &QrPicture, scale: u32) -> Option<Vec<u8>> {
    let scale = scale.clamp(1, 16);
    let modules = u32::from(picture.side);
    (1..=LARGEST).contains(&modules).then_some(())?;
    let side = modules * scale;
    let row_bytes = side.div_ceil(8) as usize;
    let mut dark = vec![false; (modules * modules) as usize];
    for (x, y, n) in runs(picture)? {
        (y < modules && x.checked_add(n)? <= modules).then_some(())?;
        dark[(y * modules + x) as usize..(y * modules + x + n) as usize].fill(true);
    }
    let line = row_bytes + 1;
    let mut pixels = vec![0u8; line * side as usize];
    for (y, module_row) in dark.chunks_exact(modules as usize).enumerate() {
        let first = y * scale as usize * line;
        let row = &mut pixels[first + 1..first + line];
        for x in 0..side {
            if !module_row[(x / scale) as usize] {
                row[(x / 8) as usize] |= 0x80 >> (x % 8);
            }
        }
        for copy in 1..scale as usize {
            pixels.copy_within(first..first + line, first + copy * line);
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
pub fn png_data_url(picture: &QrPicture, scale: u32) -> Option<String> {
    png(picture, scale).map(|bytes| format!("data:image/png;base64,{}", base64(&bytes)))
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
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

/// RFC 1950's Adler-32, reduced modulo 65521 once every 5552 bytes: the most that cannot
/// overflow a `u32`.
fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for block in data.chunks(5552) {
        for byte in block {
            a += u32::from(*byte);
            b += a;
        }
        a %= 65_521;
        b %= 65_521;
    }
    (b << 16) | a
}

/// The CRC-32 of four bits shifted out, for each value of those bits.
const CRC_NIBBLE: [u32; 16] = {
    let mut table = [0u32; 16];
    let mut nibble = 0;
    while nibble < 16 {
        let mut crc = nibble as u32;
        let mut bit = 0;
        while bit < 4 {
            crc = (crc >> 1) ^ (0xedb8_8320 & (crc & 1).wrapping_neg());
            bit += 1;
        }
        table[nibble] = crc;
        nibble += 1;
    }
    table
};

/// The PNG specification's CRC-32, four bits a step.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        crc = (crc >> 4) ^ CRC_NIBBLE[(crc & 15) as usize];
        crc = (crc >> 4) ^ CRC_NIBBLE[(crc & 15) as usize];
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
    use qrcodegen::{QrCode, QrCodeEcc};

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

    /// A VietQR payload, drawn as the functions draw it.
    const VIETQR: &str = "00020101021238570010A000000727012700069704360113007100012345602\
                          08QRIBFTTA5303704540715000005802VN62220818HP251005070000ABCD6304ABCD";

    #[test]
    fn the_png_has_every_module_at_its_scale_inside_a_white_quiet_zone() {
        let code = QrCode::encode_text(VIETQR, QrCodeEcc::Medium).unwrap();
        let picture = hocphi_app::qr::picture(VIETQR).unwrap();
        let scale = 8;
        let (side, rows) = decode(&png(&picture, scale).unwrap());
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
        let picture = hocphi_app::qr::picture(&"x".repeat(1_000)).unwrap();
        let (side, rows) = decode(&png(&picture, 8).unwrap());
        assert!((side.div_ceil(8) + 1) * side > u32::from(u16::MAX));
        assert!(!is_dark(&rows, side - 1, side - 1));
    }

    #[test]
    fn a_picture_that_is_not_runs_inside_it_has_no_png() {
        let cases = [
            (29, "M4 4h7v1h-6z"),
            (29, "M4 4h7v1h-7zX"),
            (29, "4 4h7v1h-7z"),
            (29, "M4 4h26v1h-26z"),
            (29, "M4 29h1v1h-1z"),
            (29, "M-1 4h1v1h-1z"),
            (29, "M4 4h4294967295v1h-4294967295z"),
            (186, ""),
            (0, ""),
        ];
        for (side, path) in cases {
            let picture = QrPicture {
                side,
                path: path.to_owned(),
            };
            assert_eq!(png(&picture, 8), None, "{side} {path}");
        }
        let blank = QrPicture {
            side: 29,
            path: "M25 28h4v1h-4z".to_owned(),
        };
        let (side, rows) = decode(&png(&blank, 1).unwrap());
        assert_eq!(side, 29);
        assert!(is_dark(&rows, 28, 28) && !is_dark(&rows, 24, 28));
    }

    #[test]
    fn checksums_and_base64_match_their_published_values() {
        assert_eq!(
            crc32(b"IEND"),
            0xae42_6082,
            "the IEND chunk every PNG ends with"
        );
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926, "CRC-32 check value");
        assert_eq!(
            adler32(b"Wikipedia"),
            0x11e6_0398,
            "Adler-32's published value for this word"
        );
        assert_eq!(
            adler32(&[0xff; 100_000]),
            0x149a_302c,
            "zlib's adler32 of 100,000 bytes, across several reductions"
        );
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (raw, encoded) in cases {
            assert_eq!(
                base64(raw.as_bytes()),
                encoded,
                "RFC 4648 test vector {raw:?}"
            );
        }
        let picture = hocphi_app::qr::picture("HP251005070000ABCD").unwrap();
        let url = png_data_url(&picture, 2).unwrap();
        assert!(
            url.starts_with("data:image/png;base64,iVBORw0KGgo"),
            "{url}"
        );
    }
}
