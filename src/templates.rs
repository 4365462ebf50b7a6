//! Tera templates: the default theme is embedded in the binary; a site's own
//! `templates/<name>` replaces the theme's template of the same name, or adds a new one.

use std::path::Path;

use tera::Tera;

use crate::error::{Diagnostic, Problem};
use crate::outputs::generated::{self, ThemeFile};

/// The theme's templates that render no output of their own: the layout and the partials
/// the others extend or include.
const PARTIALS: &[ThemeFile] = &[
    ThemeFile {
        name: "base.html",
        source: include_str!("../templates/base.html"),
    },
    ThemeFile {
        name: "post_list.html",
        source: include_str!("../templates/post_list.html"),
    },
];

/// The theme's shortcodes (called from Markdown); `tweet` and `relref` are other names of
/// `x` and `ref`.
const SHORTCODES: &[(&str, &str)] = &[
    (
        "shortcodes/youtube.html",
        include_str!("../templates/shortcodes/youtube.html"),
    ),
    (
        "shortcodes/vimeo.html",
        include_str!("../templates/shortcodes/vimeo.html"),
    ),
    (
        "shortcodes/figure.html",
        include_str!("../templates/shortcodes/figure.html"),
    ),
    (
        "shortcodes/gist.html",
        include_str!("../templates/shortcodes/gist.html"),
    ),
    (
        "shortcodes/x.html",
        include_str!("../templates/shortcodes/x.html"),
    ),
    (
        "shortcodes/tweet.html",
        include_str!("../templates/shortcodes/x.html"),
    ),
    (
        "shortcodes/ref.html",
        include_str!("../templates/shortcodes/ref.html"),
    ),
    (
        "shortcodes/relref.html",
        include_str!("../templates/shortcodes/ref.html"),
    ),
    (
        "shortcodes/param.html",
        include_str!("../templates/shortcodes/param.html"),
    ),
];

/// The embedded default theme, (template name, source): the layout and partials, every
/// template of the table of generated outputs ([`generated::GENERATED`]), the shortcodes.
fn theme() -> impl Iterator<Item = (&'static str, &'static str)> {
    PARTIALS
        .iter()
        .copied()
        .chain(generated::templates())
        .map(|t| (t.name, t.source))
        .chain(SHORTCODES.iter().copied())
}

/// The names of the theme's templates that render a page of their own or are shared by
/// them (no shortcodes): what a site's `templates/` may override.
pub(crate) fn page_template_names() -> impl Iterator<Item = &'static str> {
    theme()
        .map(|(name, _)| name)
        .filter(|n| !n.starts_with("shortcodes/"))
}

/// Where a Jekyll site keeps the files `{% include %}` reads.
pub(crate) const INCLUDES_DIR: &str = "_includes";

/// True when `name` is one of the theme's templates (`post.html`, `page.html`, …): each
/// expects the context of its own kind of page.
pub(crate) fn is_theme_template(name: &str) -> bool {
    theme().any(|(n, _)| n == name)
}

/// True when a file of a site's `templates/` is a template: its extension is one the theme's
/// templates have (`html`, `xml`, `txt`, and any a new output's template brings).
fn is_template_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|ext| {
            theme().any(|(name, _)| name.rsplit_once('.').is_some_and(|(_, e)| e == ext))
        })
}

/// The loaded templates.
pub(crate) struct Templates {
    tera: Tera,
    /// Every template's source by name, to place a render error at its line and column.
    sources: std::collections::HashMap<String, String>,
    fingerprint: blake3::Hash,
    /// What the `image` function sees: the images of the render under way.
    images: crate::images::template::ImageSlot,
    /// A hash of the shortcode templates and the includes: what expanded Markdown depends on.
    shortcodes: blake3::Hash,
    /// Jekyll's `_includes/` files by name (`footer.html`, `note/box.html`).
    includes: std::collections::BTreeMap<String, String>,
}

impl Templates {
    /// The embedded theme overlaid with `<site_dir>/templates/*` (if the folder exists).
    pub fn load(site_dir: &Path) -> Result<Templates, Vec<Diagnostic>> {
        let mut sources: Vec<(String, String)> = theme()
            .map(|(n, s)| (n.to_string(), s.to_string()))
            .collect();
        let mut errors = Vec::new();
        let dir = site_dir.join("templates");
        if dir.is_dir() {
            for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        errors.push(Diagnostic::new(&dir, None, Problem::Walk(e.to_string())));
                        continue;
                    }
                };
                let path = entry.path();
                let is_template = is_template_file(path);
                if !entry.file_type().is_file() || !is_template {
                    continue;
                }
                let name = path
                    .strip_prefix(&dir)
                    .unwrap_or(path)
                    .to_string_lossy()
                    .replace('\\', "/");
                match std::fs::read_to_string(path) {
                    Ok(text) => {
                        sources.retain(|(n, _)| *n != name);
                        sources.push((name, text));
                    }
                    Err(e) => errors.push(Diagnostic::new(
                        &Path::new("templates").join(&name),
                        None,
                        Problem::Io(format!("cannot read: {e}")),
                    )),
                }
            }
        }
        let includes = read_includes(&site_dir.join(INCLUDES_DIR), &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Templates::from_sources(sources)?.with_includes(includes))
    }

    /// The same templates with Jekyll's includes (`{% include name %}` in posts).
    pub(crate) fn with_includes(
        mut self,
        includes: std::collections::BTreeMap<String, String>,
    ) -> Self {
        let mut print = blake3::Hasher::new();
        print.update(self.shortcodes.as_bytes());
        for (name, text) in &includes {
            for part in [name, text] {
                print.update(&(part.len() as u64).to_le_bytes());
                print.update(part.as_bytes());
            }
        }
        self.shortcodes = print.finalize();
        let mut both = blake3::Hasher::new();
        both.update(self.fingerprint.as_bytes());
        both.update(self.shortcodes.as_bytes());
        self.fingerprint = both.finalize();
        self.includes = includes;
        self
    }

    /// Templates from (name, source) pairs. Syntax errors name the template and line.
    pub(crate) fn from_sources(
        sources: Vec<(String, String)>,
    ) -> Result<Templates, Vec<Diagnostic>> {
        let mut fingerprint = blake3::Hasher::new();
        let mut shortcodes = blake3::Hasher::new();
        for (name, text) in &sources {
            for part in [name, text] {
                fingerprint.update(&(part.len() as u64).to_le_bytes());
                fingerprint.update(part.as_bytes());
                if name.starts_with("shortcodes/") {
                    shortcodes.update(&(part.len() as u64).to_le_bytes());
                    shortcodes.update(part.as_bytes());
                }
            }
        }
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html", ".htm", ".xml"]);
        // Parse one by one first, so each syntax error names its own file.
        let mut errors = Vec::new();
        for (name, text) in &sources {
            if let Err(e) = tera::Template::new(name, None, text) {
                errors.push(template_error(name, &e, &Default::default()));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let by_name: std::collections::HashMap<String, String> = sources.iter().cloned().collect();
        tera.add_raw_templates(sources)
            .map_err(|e| vec![template_error("templates", &e, &by_name)])?;
        let images = crate::images::template::ImageSlot::default();
        for name in ["image", "resize_image"] {
            let function = crate::images::template::ImageFunction::new(images.clone());
            tera.register_function(name, function);
        }
        tera.register_filter("markdown", markdown_filter);
        Ok(Templates {
            tera,
            sources: by_name,
            fingerprint: fingerprint.finalize(),
            images,
            shortcodes: shortcodes.finalize(),
            includes: Default::default(),
        })
    }

    /// A hash of every template's name and source: pages rendered with equal fingerprints
    /// and equal contexts are equal.
    pub fn fingerprint(&self) -> blake3::Hash {
        self.fingerprint
    }

    /// Gives the `image` template function the images of the render about to start. The
    /// renderer's fingerprint covers them, so pages are re-rendered when they change.
    pub(crate) fn set_images(&self, images: std::sync::Arc<crate::images::Catalog>) {
        *self.images.write().unwrap_or_else(|e| e.into_inner()) = images;
    }

    /// Renders `name` with `context`.
    pub fn render(&self, name: &str, context: &tera::Context) -> Result<String, Diagnostic> {
        self.tera
            .render(name, context)
            .map_err(|e| template_error(name, &e, &self.sources))
    }

    /// Where `text` is first written in the templates (by name order): the template's name,
    /// the 1-based line and character column.
    pub(crate) fn find_text(&self, text: &str) -> Option<(String, usize, usize)> {
        let mut names: Vec<&String> = self.sources.keys().collect();
        names.sort();
        names.into_iter().find_map(|name| {
            let (line, col) = crate::error::find_in(&self.sources[name], text)?;
            Some((name.clone(), line, col))
        })
    }

    /// True when a template of that name exists.
    pub fn has(&self, name: &str) -> bool {
        self.tera.get_template_names().any(|n| n == name)
    }

    /// Renders a shortcode's template; the error is Tera's whole message (its cause chain, one
    /// cause a line).
    pub(crate) fn render_shortcode(
        &self,
        name: &str,
        context: &tera::Context,
    ) -> Result<String, String> {
        self.tera.render(name, context).map_err(|e| {
            let d = template_error(name, &e, &self.sources);
            match d.problem {
                Problem::Template(m) => m,
                other => other.to_string(),
            }
        })
    }

    /// A hash of the shortcode templates and includes: Markdown that used none of them is
    /// the same whatever they say.
    pub(crate) fn shortcodes_fingerprint(&self) -> blake3::Hash {
        self.shortcodes
    }

    /// The text of `_includes/<name>`, if the site has it.
    pub(crate) fn include(&self, name: &str) -> Option<&str> {
        self.includes.get(name).map(String::as_str)
    }
}

/// Tera's `markdown` filter: a shortcode's body (or any text) rendered as Markdown.
fn markdown_filter(
    value: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let text = tera::try_get_value!("markdown", "value", String, value);
    Ok(tera::Value::String(crate::markdown::render_excerpt(&text)))
}

/// Every file under `dir` (Jekyll's `_includes/`) by its `/`-separated name.
fn read_includes(
    dir: &Path,
    errors: &mut Vec<Diagnostic>,
) -> std::collections::BTreeMap<String, String> {
    let mut includes = std::collections::BTreeMap::new();
    if !dir.is_dir() {
        return includes;
    }
    for entry in walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        if !entry.file_type().is_file() {
            continue;
        }
        let name = entry
            .path()
            .strip_prefix(dir)
            .unwrap_or(entry.path())
            .to_string_lossy()
            .replace('\\', "/");
        match std::fs::read_to_string(entry.path()) {
            Ok(text) => {
                includes.insert(name, text);
            }
            Err(e) => errors.push(Diagnostic::new(
                &Path::new(INCLUDES_DIR).join(&name),
                None,
                Problem::Io(format!("cannot read: {e}")),
            )),
        }
    }
    includes
}

/// A diagnostic for a Tera error: the whole cause chain, one cause a line, with Tera's
/// multi-line display (the source line and a caret) kept as it is; placed at `file:line:col`
/// from the parser's position, or else by finding the failing expression in `sources`.
fn template_error(
    name: &str,
    error: &tera::Error,
    sources: &std::collections::HashMap<String, String>,
) -> Diagnostic {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push('\n');
        message.push_str(cause.to_string().trim_end());
        source = cause.source();
    }
    let mut file = name.to_string();
    // Tera's parse errors carry pest positions like " --> 3:5".
    let mut position = message.split("--> ").nth(1).and_then(|rest| {
        let pos = rest.split_whitespace().next()?;
        let (line, col) = pos.split_once(':')?;
        Some((line.parse().ok()?, col.parse().ok()))
    });
    if position.is_none()
        && let Some((found_in, line, col)) = locate(name, &message, sources)
    {
        file = found_in;
        position = Some((line, Some(col)));
    }
    let path = if file == "templates" {
        Path::new("templates").to_path_buf()
    } else {
        Path::new("templates").join(&file)
    };
    let (line, column) = match position {
        Some((line, col)) => (Some(line), col),
        None => (None, None),
    };
    Diagnostic::new(&path, line, Problem::Template(message)).at_column(column)
}

/// Where a render error's expression (the `x.y` of "Variable `x.y` not found", of a filter
/// or function named in backquotes) is written: in template `name`, else in the one template
/// that has it (a parent it extends, a macro file). The 1-based line and character column.
fn locate(
    name: &str,
    message: &str,
    sources: &std::collections::HashMap<String, String>,
) -> Option<(String, usize, usize)> {
    let needle = message.split('`').nth(1).filter(|n| !n.is_empty())?;
    let find = |text: &str| {
        let at = text.find(needle)?;
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let line = text[..at].matches('\n').count() + 1;
        Some((line, text[line_start..at].chars().count() + 1))
    };
    if let Some((line, col)) = sources.get(name).and_then(|t| find(t)) {
        return Some((name.to_string(), line, col));
    }
    let mut others = sources.iter().filter_map(|(n, t)| Some((n, find(t)?)));
    let (n, (line, col)) = others.next()?;
    // Found in several templates: which one failed is not known, so none is named.
    others.next().is_none().then(|| (n.clone(), line, col))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file the theme ships (`templates/`) is an output's template or fixed file in the
    /// table of generated outputs, a partial those templates use, or a shortcode: a template
    /// added without its row (or a row without its template) fails here.
    #[test]
    fn the_outputs_table_covers_every_theme_template() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let rows: Vec<&str> = generated::GENERATED
            .iter()
            .filter_map(|g| g.template.map(|t| t.name))
            .collect();
        let shipped: Vec<String> = walkdir::WalkDir::new(&dir)
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e.path().strip_prefix(&dir).unwrap();
                rel.to_string_lossy().replace('\\', "/")
            })
            .filter(|n| n.as_str() != "README.md")
            .collect();
        assert!(shipped.len() > 10, "{shipped:?}");
        for name in &shipped {
            let covered = rows.contains(&name.as_str())
                || PARTIALS.iter().any(|p| p.name == name)
                || SHORTCODES.iter().any(|(n, _)| n == name);
            assert!(
                covered,
                "templates/{name} is in no row of outputs::generated"
            );
        }
        for row in &rows {
            assert!(
                shipped.iter().any(|n| n == row),
                "{row} is not in templates/"
            );
        }
        // A partial is used by some output's template: else it is an output without a row.
        let row_sources: Vec<&str> = generated::templates().map(|t| t.source).collect();
        for partial in PARTIALS {
            let used = |text: &str| {
                text.contains(&format!("\"{}\"", partial.name))
                    || PARTIALS
                        .iter()
                        .any(|p| p.source.contains(&format!("\"{}\"", partial.name)))
            };
            assert!(
                row_sources.iter().any(|s| used(s)),
                "{} is used by no output's template",
                partial.name
            );
        }
    }

    #[test]
    fn theme_parses() {
        let t = Templates::from_sources(
            theme()
                .map(|(n, s)| (n.to_string(), s.to_string()))
                .collect(),
        );
        assert!(t.is_ok(), "{:?}", t.err());
    }

    #[test]
    fn syntax_error_names_template_and_line() {
        let errs = Templates::from_sources(vec![(
            "post.html".into(),
            "<p>\n{{ post.title }\n</p>".into(),
        )])
        .err()
        .unwrap();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].path, Path::new("templates/post.html"));
        assert_eq!(errs[0].line, Some(2), "{}", errs[0]);
    }

    #[test]
    fn unknown_variable_names_template() {
        let t =
            Templates::from_sources(vec![("x.html".into(), "{{ nope.title }}".into())]).unwrap();
        let err = t.render("x.html", &tera::Context::new()).unwrap_err();
        assert_eq!(err.path, Path::new("templates/x.html"));
        assert!(err.to_string().contains("nope"), "{err}");
    }

    #[test]
    fn a_render_error_is_placed_at_file_line_col() {
        let t = Templates::from_sources(vec![(
            "post.html".into(),
            "<h1>\n  <a>{{ post.titel }}</a>\n</h1>".into(),
        )])
        .unwrap();
        let mut ctx = tera::Context::new();
        ctx.insert("post", &serde_json::json!({"title": "T"}));
        let err = t.render("post.html", &ctx).unwrap_err();
        assert_eq!(
            err.to_string(),
            "templates/post.html:2:9: Failed to render 'post.html'\n\
             Variable `post.titel` not found in context while rendering 'post.html'"
        );
    }

    #[test]
    fn a_syntax_error_keeps_teras_multi_line_display() {
        let errs = Templates::from_sources(vec![(
            "post.html".into(),
            "<p>\n{{ post.title }\n</p>".into(),
        )])
        .err()
        .unwrap();
        let text = errs[0].to_string();
        assert!(text.starts_with("templates/post.html:2:"), "{text}");
        assert!(text.lines().count() > 3, "{text}");
        assert!(text.contains("\n2 | {{ post.title }"), "{text}");
    }
}
