//! Which files of the built page go to the bucket, and how: content-hashed assets cached for a
//! year as immutable, each beside its brotli file (uploaded with `Content-Encoding: br`), and
//! `index.html` never without revalidation.
//!
//! Invariant: no file is uploaded without an explicit content type and cache rule; [`check_site`]
//! refuses a built page holding a file no rule covers.

use std::path::Path;

use super::aws::aws;
use super::shell::Shell;
use crate::run::Failure;

/// How one kind of page file is uploaded.
struct UploadRule {
    pattern: &'static str,
    content_type: &'static str,
}

/// Content-hashed assets: a new build gives them new names, so they never change in place.
const HASHED: [UploadRule; 4] = [
    UploadRule {
        pattern: "*.wasm",
        content_type: "application/wasm",
    },
    UploadRule {
        pattern: "*.js",
        content_type: "text/javascript; charset=utf-8",
    },
    UploadRule {
        pattern: "*.css",
        content_type: "text/css; charset=utf-8",
    },
    UploadRule {
        pattern: "*.json",
        content_type: "application/json; charset=utf-8",
    },
];
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// Pages besides `index.html`, served at their own address and revalidated like it: the
/// privacy notice.
const PAGES: [&str; 1] = ["quyen-rieng-tu.html"];

/// Files of the built page that are deliberately not uploaded: the build's manifest, the gzip
/// siblings and `index.html`'s brotli one (CloudFront compresses those on the edge).
fn skipped(name: &str) -> bool {
    name == "manifest.txt" || name == "index.html.br" || name.ends_with(".gz")
}

/// The brotli sibling `build.sh` writes for a file: the CloudFront Function hands it to browsers
/// that accept brotli, smaller than CloudFront's own compression on the edge.
fn brotli(name: &str) -> String {
    format!("{name}.br")
}

/// Whether a file name carries the build's content hash (`name-<16 hex>.ext`).
fn hashed(name: &str) -> bool {
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Refuses a built page that the upload rules would serve wrongly: an unknown kind of file, or
/// an asset without a content hash in its name (it would be cached as immutable).
pub fn check_site(dir: &Path) -> Result<(), Failure> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Failure(format!("cannot read the built page {}: {e}", dir.display())))?;
    let names: Vec<String> = entries
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    let is_asset = |name: &str| {
        HASHED
            .iter()
            .any(|r| name.ends_with(r.pattern.trim_start_matches('*')))
    };
    let mut has_index = false;
    for name in &names {
        let asset = is_asset(name);
        let compressed = name
            .strip_suffix(".br")
            .is_some_and(|plain| is_asset(plain) && names.iter().any(|n| n == plain));
        if name == "index.html" {
            has_index = true;
        } else if asset && !hashed(name) {
            return Err(Failure(format!(
                "{name} has no content hash in its name, so it cannot be cached as immutable"
            )));
        } else if asset && !names.contains(&brotli(name)) {
            return Err(Failure(format!(
                "{name} has no {} beside it, which browsers taking brotli are sent",
                brotli(name)
            )));
        } else if !asset && !compressed && !skipped(name) && !PAGES.contains(&name.as_str()) {
            return Err(Failure(format!(
                "no upload rule for {name} (content type, cache): add one to infra/xtask/src/deploy/upload.rs"
            )));
        }
    }
    if has_index {
        Ok(())
    } else {
        Err(Failure(format!("{} has no index.html", dir.display())))
    }
}

/// Uploads the built page in `site` to `bucket` (`s3://name`) by the rules above.
pub fn upload(
    shell: &mut dyn Shell,
    region: &str,
    site: &Path,
    bucket: &str,
) -> Result<(), Failure> {
    for rule in &HASHED {
        for (pattern, encoding) in [
            (rule.pattern.to_owned(), None),
            (brotli(rule.pattern), Some("br")),
        ] {
            let mut upload = aws(region);
            upload
                .args(["s3", "sync"])
                .arg(site)
                .arg(bucket)
                .args(["--exclude", "*", "--include", &pattern])
                .args(["--content-type", rule.content_type])
                .args(["--cache-control", IMMUTABLE]);
            if let Some(encoding) = encoding {
                upload.args(["--content-encoding", encoding]);
            }
            shell.run(
                &format!("uploading {pattern} (immutable)"),
                upload.arg("--only-show-errors"),
            )?;
        }
    }
    for page in PAGES {
        shell.run(
            &format!("uploading {page} (always revalidated)"),
            aws(region)
                .args(["s3", "cp"])
                .arg(site.join(page))
                .arg(format!("{bucket}/{page}"))
                .args(["--content-type", "text/html; charset=utf-8"])
                .args(["--cache-control", REVALIDATE])
                .arg("--only-show-errors"),
        )?;
    }
    shell.run(
        "uploading index.html (always revalidated)",
        aws(region)
            .args(["s3", "cp"])
            .arg(site.join("index.html"))
            .arg(format!("{bucket}/index.html"))
            .args(["--content-type", "text/html; charset=utf-8"])
            .args(["--cache-control", REVALIDATE])
            .arg("--only-show-errors"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_recognised() {
        for (name, expected) in [
            ("hocphi-0123456789abcdef.wasm", true),
            ("style-fedcba9876543210.css", true),
            ("hocphi.js", false),
            ("boot-123.js", false),
        ] {
            assert_eq!(hashed(name), expected, "{name}");
        }
    }

    #[test]
    fn a_page_with_an_unhashed_or_uncompressed_asset_or_an_unknown_file_is_refused() {
        let dir = std::env::temp_dir().join(format!("hocphi-site-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html>").unwrap();
        for name in [
            "hocphi-0123456789abcdef.wasm",
            "hocphi-0123456789abcdef.wasm.br",
            "hocphi-0123456789abcdef.wasm.gz",
            "index.html.br",
            "manifest.txt",
        ] {
            std::fs::write(dir.join(name), "").unwrap();
        }
        let good = check_site(&dir);
        std::fs::write(dir.join("logo.svg"), "").unwrap();
        let unknown = check_site(&dir);
        std::fs::remove_file(dir.join("logo.svg")).unwrap();
        std::fs::write(dir.join("style-0123456789abcdef.css"), "").unwrap();
        let uncompressed = check_site(&dir);
        std::fs::remove_file(dir.join("style-0123456789abcdef.css")).unwrap();
        std::fs::write(dir.join("stale-0123456789abcdef.js.br"), "").unwrap();
        let orphan = check_site(&dir);
        std::fs::remove_file(dir.join("stale-0123456789abcdef.js.br")).unwrap();
        std::fs::write(dir.join("boot.js"), "").unwrap();
        let unhashed = check_site(&dir);
        std::fs::remove_dir_all(&dir).unwrap();

        assert!(good.is_ok(), "{good:?}");
        assert!(
            uncompressed
                .unwrap_err()
                .0
                .contains("style-0123456789abcdef.css has no style-0123456789abcdef.css.br")
        );
        assert!(
            orphan
                .unwrap_err()
                .0
                .contains("no upload rule for stale-0123456789abcdef.js.br")
        );
        assert!(
            unknown
                .unwrap_err()
                .0
                .contains("no upload rule for logo.svg")
        );
        assert!(
            unhashed
                .unwrap_err()
                .0
                .contains("boot.js has no content hash")
        );
    }
}
