//! The error overlay: while the last edit breaks the build, pages show its errors on top of the
//! last good version. Rendered here for pages served while broken, and by the reload script
//! (same markup, same style) for pages already open.

use crate::highlight::escape_html;

/// The overlay's heading.
pub(crate) const TITLE: &str =
    "bucketpress: the last edit broke the build (showing the last good version)";

/// The overlay's style; scoped by id so it cannot touch the site's own elements.
pub(crate) const STYLE: &str = "#__bucketpress_overlay{position:fixed;inset:auto 0 0 0;max-height:60vh;\
overflow:auto;z-index:2147483647;margin:0;padding:1em 1.25em;background:#2b0d0d;color:#ffe9e9;\
border-top:4px solid #e5484d;font:14px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;\
box-shadow:0 -4px 24px rgba(0,0,0,.4)}\
#__bucketpress_overlay pre{margin:.5em 0 0;white-space:pre-wrap;font:inherit;color:inherit;\
background:none;border:0;padding:0}\
#__bucketpress_overlay button{float:right;margin:0 0 .5em 1em;padding:.1em .6em;font:inherit;\
color:#ffe9e9;background:#5a1a1a;border:1px solid #e5484d;border-radius:4px;cursor:pointer}\
#__bucketpress_overlay button:focus-visible{outline:2px solid #ffe9e9;outline-offset:2px}";

/// The close button: removes the overlay (until the next failed build). An inline handler,
/// so a page served while broken can dismiss it before the reload script runs.
pub(crate) const CLOSE_BUTTON: &str = "<button type=\"button\" aria-label=\"Dismiss\" \
onclick=\"this.parentNode.remove()\">Dismiss ×</button>";

/// Errors as the overlay shows them: one after another, a blank line between (an error may
/// span lines: Tera's source line and caret).
pub(crate) fn error_text(errors: &[String]) -> String {
    errors.join("\n\n")
}

/// The overlay element for `errors`; empty when there are none.
pub(crate) fn overlay_html(errors: &[String]) -> String {
    if errors.is_empty() {
        return String::new();
    }
    format!(
        "<div id=\"__bucketpress_overlay\" role=\"alert\">{CLOSE_BUTTON}<strong>{}</strong>\
         <pre>{}</pre></div>",
        escape_html(TITLE),
        escape_html(&error_text(errors))
    )
}

/// A whole page for when there is no good build to show at all (the first build failed).
pub(crate) fn error_page(errors: &[String]) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Build failed</title></head>\
         <body><p>The site has not built yet; fix the errors below and this page reloads.</p>\
         <pre style=\"white-space:pre-wrap\">{}</pre></body></html>\n",
        escape_html(&error_text(errors))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_escapes_and_is_empty_without_errors() {
        assert_eq!(overlay_html(&[]), "");
        let html = overlay_html(&["x.md:2: <script>".into(), "y.md: bad\n  | line".into()]);
        assert!(html.contains("x.md:2: &lt;script&gt;\n\ny.md: bad\n  | line"));
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn overlay_can_be_dismissed() {
        let html = overlay_html(&["x.md:2: bad".into()]);
        assert!(html.contains("<button type=\"button\""), "{html}");
        assert!(
            html.contains("onclick=\"this.parentNode.remove()\""),
            "{html}"
        );
    }
}
