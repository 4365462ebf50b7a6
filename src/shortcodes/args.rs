//! Arguments as the three tools write them: `a, b=1, c="x", d=[1, 2]` (Zola), `a k="v"` and
//! `` k=`raw` `` (Hugo), `file.html k=v k="v"` (Liquid's include). One reader for all;
//! whether a bare word is a string or a variable is the caller's choice.

/// A value as written.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Raw {
    /// A quoted string, unescaped.
    Str(String),
    /// An unquoted word (Hugo: a string; Liquid: a variable; Zola: an error).
    Bare(String),
    /// A whole number (kept exact: Hugo's tweet ids are bigger than a float holds).
    Int(i64),
    /// A number.
    Num(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `[a, b]`.
    List(Vec<Raw>),
}

/// One argument: positional when `name` is `None`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Arg {
    /// `k` of `k=v`.
    pub name: Option<String>,
    /// The value.
    pub value: Raw,
}

/// Reads `text` (what stands between the parentheses or after the name).
pub(super) fn parse(text: &str) -> Result<Vec<Arg>, String> {
    let mut reader = Reader {
        s: text.as_bytes(),
        text,
        i: 0,
    };
    let mut args = Vec::new();
    loop {
        reader.skip_separators();
        if reader.i >= reader.s.len() {
            return Ok(args);
        }
        let name = reader.name();
        let value = reader.value()?;
        args.push(Arg { name, value });
    }
}

struct Reader<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
}

impl Reader<'_> {
    fn skip_separators(&mut self) {
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_whitespace() || self.s[self.i] == b',')
        {
            self.i += 1;
        }
    }

    fn skip_space(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    /// `ident =` (or `ident:`, Liquid's older include form is not taken): the name, with the
    /// reader after the `=`; else `None` with the reader where it was.
    fn name(&mut self) -> Option<String> {
        let start = self.i;
        let mut j = self.i;
        while j < self.s.len()
            && (self.s[j].is_ascii_alphanumeric() || matches!(self.s[j], b'_' | b'-'))
        {
            j += 1;
        }
        if j == start || !(self.s[start].is_ascii_alphabetic() || self.s[start] == b'_') {
            return None;
        }
        let mut k = j;
        while k < self.s.len() && self.s[k].is_ascii_whitespace() {
            k += 1;
        }
        if self.s.get(k) == Some(&b'=') && self.s.get(k + 1) != Some(&b'=') {
            self.i = k + 1;
            self.skip_space();
            Some(self.text[start..j].to_string())
        } else {
            None
        }
    }

    fn value(&mut self) -> Result<Raw, String> {
        match self.s.get(self.i) {
            None => Err("expected a value after `=`".into()),
            Some(&q @ (b'"' | b'\'' | b'`')) => self.quoted(q).map(Raw::Str),
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_separators();
                    match self.s.get(self.i) {
                        None => return Err("a list `[` is never closed with `]`".into()),
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Raw::List(items));
                        }
                        Some(_) => items.push(self.value()?),
                    }
                }
            }
            Some(_) => {
                let start = self.i;
                while self.i < self.s.len()
                    && !self.s[self.i].is_ascii_whitespace()
                    && !matches!(self.s[self.i], b',' | b']')
                {
                    self.i += 1;
                }
                let word = &self.text[start..self.i];
                Ok(match word {
                    "true" => Raw::Bool(true),
                    "false" => Raw::Bool(false),
                    _ if let Ok(n) = word.parse::<i64>() => Raw::Int(n),
                    _ => match word.parse::<f64>() {
                        Ok(n)
                            if word
                                .bytes()
                                .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)) =>
                        {
                            Raw::Num(n)
                        }
                        _ => Raw::Bare(word.to_string()),
                    },
                })
            }
        }
    }

    /// A string in `quote`s; `\"` and `\\` are escapes except in backquotes (raw).
    fn quoted(&mut self, quote: u8) -> Result<String, String> {
        let start = self.i;
        self.i += 1;
        let mut out = String::new();
        let mut run = self.i;
        while self.i < self.s.len() {
            let b = self.s[self.i];
            if b == quote {
                out.push_str(&self.text[run..self.i]);
                self.i += 1;
                return Ok(out);
            }
            if b == b'\\'
                && quote != b'`'
                && matches!(self.s.get(self.i + 1), Some(&n) if n == quote || n == b'\\')
            {
                out.push_str(&self.text[run..self.i]);
                self.i += 1;
                run = self.i;
            }
            self.i += 1;
        }
        let shown: String = self.text[start..].chars().take(20).collect();
        Err(format!("the string {shown}… is never closed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(n: &str, v: Raw) -> Arg {
        Arg {
            name: Some(n.into()),
            value: v,
        }
    }

    #[test]
    fn zola_hugo_and_liquid_forms() {
        assert_eq!(
            parse(r#"id="a\"b", n=3, on=true, xs=[1, "two"]"#).unwrap(),
            vec![
                named("id", Raw::Str("a\"b".into())),
                named("n", Raw::Int(3)),
                named("on", Raw::Bool(true)),
                named("xs", Raw::List(vec![Raw::Int(1), Raw::Str("two".into())])),
            ]
        );
        let hugo = parse(r#"abc123 "quoted pos" title=`raw \n`"#).unwrap();
        assert_eq!(hugo[0].value, Raw::Bare("abc123".into()));
        assert_eq!(hugo[1].value, Raw::Str("quoted pos".into()));
        assert_eq!(hugo[2], named("title", Raw::Str("raw \\n".into())));
        let liquid = parse("note.html title=page.title").unwrap();
        assert_eq!(liquid[0].value, Raw::Bare("note.html".into()));
        assert_eq!(liquid[1], named("title", Raw::Bare("page.title".into())));
    }

    #[test]
    fn unclosed_things_are_errors() {
        assert!(parse(r#"id="abc"#).unwrap_err().contains("never closed"));
        assert!(parse("xs=[1, 2").unwrap_err().contains("never closed"));
    }
}
