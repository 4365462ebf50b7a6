//! Live reload: rebuild events travel over a `tokio::sync::broadcast` channel to a WebSocket
//! per open page; the script that listens is injected into HTML at serve time only.

use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

pub use super::event::Event;
use super::overlay;
use super::state::Shared;

/// The WebSocket endpoint pages connect to. Reserved: no output can live under `__bucketpress`.
pub const WS_PATH: &str = "/__bucketpress/livereload";

/// Marks the start of what serve injects into a page.
pub const BEGIN_MARK: &str = "<!-- bucketpress:livereload -->";
/// Marks the end of what serve injects into a page.
pub const END_MARK: &str = "<!-- /bucketpress:livereload -->";

/// The block injected into served HTML: overlay style, the overlay itself while the build is
/// broken, and the reload script that knows which build `version` the page came from.
pub(crate) fn snippet(version: u64, errors: &[String]) -> String {
    let script = include_str!("livereload.js")
        .replace("__BP_VERSION__", &version.to_string())
        .replace("__BP_WS__", &js_string(WS_PATH))
        .replace("__BP_TITLE__", &js_string(overlay::TITLE));
    format!(
        "{BEGIN_MARK}<style>{}</style>{}<script>{script}</script>{END_MARK}",
        overlay::STYLE,
        overlay::overlay_html(errors),
    )
}

/// A JSON string literal that is also safe inside a `<script>` element.
fn js_string(s: &str) -> String {
    serde_json::to_string(s)
        .expect("strings serialize")
        .replace('<', "\\u003c")
}

/// Inserts `block` before the last `</body>` (any case), or appends it when there is none.
pub fn inject(html: &[u8], block: &str) -> Vec<u8> {
    const CLOSE: &[u8] = b"</body>";
    let at = html
        .windows(CLOSE.len())
        .rposition(|w| w.eq_ignore_ascii_case(CLOSE))
        .unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + block.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(block.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

/// Upgrades to a WebSocket that forwards rebuild events. Subscribes before answering, so an
/// event sent once the client has its handshake response is never missed.
pub(crate) async fn ws_handler(
    ws: WebSocketUpgrade,
    State(shared): State<Arc<Shared>>,
) -> Response {
    let events = shared.subscribe();
    let hello = shared.hello();
    let shutdown = shared.shutdown_signal();
    ws.on_upgrade(move |socket| session(socket, events, hello, shutdown))
}

async fn session(
    mut socket: WebSocket,
    mut events: broadcast::Receiver<Event>,
    hello: Event,
    mut shutdown: watch::Receiver<bool>,
) {
    if socket.send(text(&hello)).await.is_err() {
        return;
    }
    loop {
        let event = tokio::select! {
            event = events.recv() => match event {
                Ok(event) => event,
                // Missed some: the page's state is unknown, reload it.
                Err(RecvError::Lagged(_)) => Event::Reload { version: 0 },
                Err(RecvError::Closed) => break,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => continue,
            },
            _ = shutdown.changed() => break,
        };
        if socket.send(text(&event)).await.is_err() {
            break;
        }
    }
    let _ = socket.send(Message::Close(None)).await;
}

fn text(event: &Event) -> Message {
    Message::Text(event.to_json().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injects_before_the_last_closing_body() {
        let html = b"<html><body><p>x</p></BODY></html>";
        let out = inject(html, "<script></script>");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<html><body><p>x</p><script></script></BODY></html>"
        );
        assert_eq!(inject(b"<p>no body</p>", "!"), b"<p>no body</p>!");
    }

    #[test]
    fn snippet_carries_version_and_escapes_errors() {
        let s = snippet(7, &["a.md:1: <bad> & worse".to_string()]);
        assert!(s.starts_with(BEGIN_MARK) && s.ends_with(END_MARK));
        assert!(s.contains("let version = 7;"));
        assert!(s.contains(WS_PATH));
        assert!(s.contains("a.md:1: &lt;bad&gt; &amp; worse"));
        assert!(!s.contains("__BP_"));
        assert!(!snippet(1, &[]).contains("<div id=\"__bucketpress_overlay\""));
    }

    #[test]
    fn events_are_tagged_json() {
        assert_eq!(Event::Ok.to_json(), r#"{"type":"ok"}"#);
        assert_eq!(
            Event::Reload { version: 3 }.to_json(),
            r#"{"type":"reload","version":3}"#
        );
        let back: Event = serde_json::from_str(r#"{"type":"css","version":2}"#).unwrap();
        assert_eq!(back, Event::Css { version: 2 });
    }
}
