//! The error overlay: while the last edit breaks the build, pages show its errors on top of the
//! last good version. Rendered here for pages served while broken, and by the reload script
//! (same markup, same style) for pages already open.

use crate::highlight::escape_html;

/// The overlay's heading.
pub const TITLE: &str =
    "bucketpress: the last edit broke the build (showing the last good version)";

/// The overlay's style; scoped by id so it cannot touch the site's own elements.
pub const STYLE: &str = "#__bucketpress_overlay{position:fixed;inset:auto 0 0 0;max-height:60vh;\
overflow:auto;z-index:2147483647;margin:0;padding:1em 1.25em;background:#2b0d0d;color:#ffe9e9;\
border-top:4px solid #e5484d;font:14px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;\
box-shadow:0 -4px 24px rgba(0,0,0,.4)}\
#__bucketpress_overlay pre{margin:.5em 0 0;white-space:pre-wrap;font:inherit;color:inherit;\
background:none;border:0;padding:0}";

/// The overlay element for `errors`; empty when there are none.
pub fn overlay_html(errors: &[String]) -> String {
    if errors.is_empty() {
        return String::new();
    }
    format!(
        "<div id=\"__bucketpress_overlay\"><strong>{}</strong><pre>{}</pre></div>",
        escape_html(TITLE),
        escape_html(&errors.join("\n"))
    )
}

/// A whole page for when there is no good build to show at all (the first build failed).
pub fn error_page(errors: &[String]) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Build failed</title></head>\
         <body><p>The site has not built yet; fix the errors below and this page reloads.</p>\
         <p>{}</p></body></html>\n",
        escape_html(&errors.join("; "))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_escapes_and_is_empty_without_errors() {
        assert_eq!(overlay_html(&[]), "");
        let html = overlay_html(&["x.md:2: <script>".into(), "y.md: bad".into()]);
        assert!(html.contains("x.md:2: &lt;script&gt;\ny.md: bad"));
        assert!(!html.contains("<script>"));
    }
}
