//! The events open pages get over the live-reload socket: what a rebuild decided (state.rs)
//! and what the socket sends (reload.rs).

/// What a page is told, as JSON `{"type": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// Sent on connect: the current build and its errors (empty when it is good).
    Hello {
        /// The version of the last good build.
        version: u64,
        /// The current build's errors.
        errors: Vec<String>,
    },
    /// Pages changed: reload.
    Reload {
        /// The new version.
        version: u64,
    },
    /// Only stylesheets changed: swap them without reloading.
    Css {
        /// The new version.
        version: u64,
    },
    /// The build is broken: show these errors over the last good page.
    Errors {
        /// One line per problem (`content/posts/a.md:3: ...`).
        errors: Vec<String>,
    },
    /// The build is good again and nothing visible changed: hide the overlay.
    Ok,
}

impl Event {
    /// The event as the JSON text sent to pages.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("events serialize")
    }
}
