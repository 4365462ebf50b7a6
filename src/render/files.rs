//! The files a render adds besides its pages: the rows of the table of generated outputs
//! that are fixed files of the theme (`style.css`, `private.js`) or made in code
//! (`favicon.svg`, `highlight.css`), each where the site has no file of its own.

use std::path::Path;

use super::{RenderCache, Renderer};
use crate::config::{CONFIG_FILE, Config};
use crate::error::{Diagnostic, Problem};
use crate::outputs::generated::{Depends, GENERATED};
use crate::outputs::{Output, OutputKind, Outputs};

/// The last highlight stylesheet made, and the (light, dark) themes it was made for.
pub(super) type HighlightCss = Option<((String, String), Output)>;

impl Renderer<'_> {
    /// Adds to `outputs` the generated files that are no page: the theme's stylesheet and
    /// icon unless the site has its own, the unlock script when the site has private posts,
    /// and the code stylesheet for the site's highlight themes (reused from `cache` while
    /// the themes are the same).
    pub(crate) fn add_files(
        &self,
        outputs: &mut Outputs,
        cache: &mut RenderCache,
    ) -> Result<(), Vec<Diagnostic>> {
        let has_private = !self.keys.is_empty();
        for row in GENERATED {
            let bytes = match row.depends {
                Depends::Static => row.template.map(|t| t.source.to_string()),
                Depends::PrivateScript if has_private => row.template.map(|t| t.source.to_string()),
                Depends::Favicon => Some(favicon(&self.site.config.title)),
                Depends::HighlightCss => {
                    let css = highlight_css(&self.site.config, &mut cache.highlight_css)?;
                    outputs.insert(css);
                    continue;
                }
                _ => None,
            };
            if let Some(bytes) = bytes
                && !outputs.contains(row.key)
            {
                let mut output = Output::from_bytes(row.key, bytes.into_bytes(), OutputKind::Asset);
                output.content_type = row.media_type.to_string();
                outputs.insert(output);
            }
        }
        Ok(())
    }
}

/// `highlight.css` for the site's themes, from `cached` when it was made for them.
fn highlight_css(config: &Config, cached: &mut HighlightCss) -> Result<Output, Vec<Diagnostic>> {
    let themes = (
        config.highlight_theme.clone(),
        config.highlight_theme_dark.clone(),
    );
    if let Some((cached_for, output)) = cached
        && *cached_for == themes
    {
        return Ok(output.clone());
    }
    let css = crate::highlight::stylesheet(&themes.0, &themes.1).map_err(|e| {
        vec![Diagnostic::new(
            Path::new(CONFIG_FILE),
            None,
            Problem::Invalid {
                field: "highlight_theme".into(),
                expected: format!("one of: {}", e.available),
                found: e.name,
            },
        )]
    })?;
    let key = crate::outputs::generated::row(Depends::HighlightCss).key;
    let output = Output::from_bytes(key, css.into_bytes(), OutputKind::Asset);
    *cached = Some((themes, output.clone()));
    Ok(output)
}

/// A square icon with the title's first letter: the theme's `/favicon.svg` for a site that
/// has none, and `static/favicon.svg` of a new site.
pub(crate) fn favicon(title: &str) -> String {
    let letter = title
        .chars()
        .find(|c| c.is_alphanumeric())
        .map_or('B', |c| c.to_uppercase().next().unwrap_or(c));
    let letter = match letter {
        '&' | '<' | '>' => 'B',
        c => c,
    };
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\">\n\
         \x20 <rect width=\"64\" height=\"64\" rx=\"14\" fill=\"#1c5fb0\"/>\n\
         \x20 <text x=\"32\" y=\"45\" font-family=\"system-ui, sans-serif\" font-size=\"38\" \
         font-weight=\"700\" text-anchor=\"middle\" fill=\"#fcfcfb\">{letter}</text>\n</svg>\n"
    )
}

#[cfg(test)]
mod tests {
    use crate::outputs::generated::{Depends, row};

    #[test]
    fn the_unlock_script_row_is_where_locked_pages_load_it() {
        assert_eq!(
            row(Depends::PrivateScript).key,
            crate::private::page::SCRIPT_KEY
        );
    }
}
