//! The console's files, compiled into the binary. Every file under `web/`
//! that the page loads is listed here once; an unlisted path is a 404.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// One embedded file.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static str,
}

macro_rules! assets {
    ($($path:literal => $ty:expr),* $(,)?) => {
        &[$(Asset {
            path: $path,
            content_type: $ty,
            body: include_str!(concat!("../web/", $path)),
        }),*]
    };
}

const JS: &str = "text/javascript; charset=utf-8";

static ASSETS: &[Asset] = assets![
    "app.css" => "text/css; charset=utf-8",
    "favicon.svg" => "image/svg+xml",
    "js/main.js" => JS,
    "js/api.js" => JS,
    "js/dom.js" => JS,
    "js/history.js" => JS,
    "js/json.js" => JS,
    "js/vlist.js" => JS,
    "js/machines.js" => JS,
    "js/execution.js" => JS,
    "js/mapruns.js" => JS,
    "js/nodes.js" => JS,
    "js/views.js" => JS,
    "js/panel.js" => JS,
    "js/services.js" => JS,
];

/// A version tag for the embedded files, their ETag: a browser revalidates
/// after an upgrade and never keeps an old file.
fn build_tag() -> &'static str {
    static TAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TAG.get_or_init(|| {
        // FNV-1a over every file: cheap, stable, changes with any edit.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for a in ASSETS.iter().map(|a| a.body).chain([INDEX]) {
            for b in a.bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        format!("{h:016x}")
    })
}

const INDEX: &str = include_str!("../web/index.html");

/// The app shell. The stylesheet is inlined: the first paint then waits
/// for no second request.
pub fn index() -> Response {
    static PAGE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let page = PAGE.get_or_init(|| {
        let css = ASSETS
            .iter()
            .find(|a| a.path == "app.css")
            .map_or("", |a| a.body);
        INDEX.replace("{{css}}", css)
    });
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        page.as_str(),
    )
        .into_response()
}

/// `GET /console/<file>`: an embedded file, with an ETag so reloads cost a
/// 304.
pub async fn serve(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.path == file) else {
        return (StatusCode::NOT_FOUND, "no such console file").into_response();
    };
    let etag = format!("\"{}\"", build_tag());
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut response = (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        asset.body,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file under `web/` ships: a module the page imports but this
    /// table forgot would be a 404 only a browser notices.
    #[test]
    fn every_web_file_is_embedded() {
        fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    let rel = path
                        .strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/");
                    out.push(rel);
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
        let mut files = Vec::new();
        walk(&root, &root, &mut files);
        for f in files.iter().filter(|f| *f != "index.html") {
            assert!(
                ASSETS.iter().any(|a| a.path == f),
                "web/{f} is not in ASSETS"
            );
        }
        for a in ASSETS.iter().filter(|a| a.path.starts_with("js/")) {
            assert!(
                INDEX.contains(&format!("/console/{}", a.path)),
                "index.html does not preload {}",
                a.path
            );
        }
    }
}
