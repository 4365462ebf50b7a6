//! The fallback: syntect's default syntaxes for every language neither the lexical nor the
//! tree-sitter path knows, with a span per scope and every scope atom a class (`hl-` prefixed).

use std::sync::OnceLock;

use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

/// Class prefix for highlight spans, so theme CSS cannot collide with the site's own.
pub(super) const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

/// syntect's default syntaxes, loaded on first use.
pub(super) fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// The syntax for a fence's language word, if syntect knows it.
pub(super) fn syntax_for(lang: &str) -> Option<&'static SyntaxReference> {
    syntaxes().find_syntax_by_token(lang)
}

/// The highlighted HTML of `code` (the inside of `<code>`), or `None` if the grammar fails.
pub(super) fn render(syntax: &SyntaxReference, code: &str) -> Option<String> {
    let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, syntaxes(), CLASS_STYLE);
    for line in LinesWithEndings::from(code) {
        generator
            .parse_html_for_line_which_includes_newline(line)
            .ok()?;
    }
    Some(generator.finalize())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use syntect::parsing::syntax_definition::Pattern;

    use super::*;
    use crate::highlight::tokens::CLASSES;

    /// Every scope atom syntect's default syntaxes can put in a class.
    fn scope_atoms() -> BTreeSet<String> {
        let builder = syntaxes().clone().into_builder();
        let mut atoms = BTreeSet::new();
        let mut add = |scopes: &[syntect::parsing::Scope]| {
            for scope in scopes {
                for atom in scope.build_string().split('.') {
                    atoms.insert(atom.to_string());
                }
            }
        };
        for syntax in builder.syntaxes() {
            add(&[syntax.scope]);
            for context in syntax.contexts.values() {
                add(&context.meta_scope);
                add(&context.meta_content_scope);
                for pattern in &context.patterns {
                    if let Pattern::Match(m) = pattern {
                        add(&m.scope);
                        for (_, scopes) in m.captures.iter().flatten() {
                            add(scopes);
                        }
                    }
                }
            }
        }
        atoms
    }

    #[test]
    fn token_classes_are_not_syntect_scope_atoms() {
        let atoms = scope_atoms();
        assert!(
            atoms.contains("keyword") && atoms.contains("c"),
            "{atoms:?}"
        );
        let clashes: Vec<&str> = CLASSES
            .iter()
            .map(|c| c.class)
            .filter(|class| atoms.contains(class.strip_prefix("hl-").unwrap()))
            .collect();
        assert!(
            clashes.is_empty(),
            "{clashes:?} are also syntect classes: the fallback's spans would take their colours; \
             short atoms: {:?}",
            atoms.iter().filter(|a| a.len() <= 3).collect::<Vec<_>>()
        );
    }

    #[test]
    fn renders_a_syntect_only_language() {
        let html = render(syntax_for("haskell").unwrap(), "main = putStrLn \"hi\"\n").unwrap();
        assert!(html.contains("<span class=\"hl-"), "{html}");
    }
}
