//! `text()`: literal SQL whose `:name` markers become real bound parameters.

use std::sync::Arc;

use crate::dialects::Dialect;
use crate::error::Result;
use crate::sql::compiled::{Compiled, Executable, StatementRef};
use crate::sql::compiler::Compiler;

/// A literal SQL fragment. Each `:name` becomes a placeholder bound to the parameter `name`;
/// `::` (a PostgreSQL cast), `\:` (an escaped colon) and colons inside quoted strings or
/// quoted identifiers are left alone.
///
/// ```
/// use aludel::dialects::{MySql, Postgres};
/// use aludel::sql::{text, Executable};
/// let t = text("SELECT * FROM employees WHERE last_name LIKE :p AND x::int > 0 LIMIT 10");
/// assert_eq!(
///     t.compile(&Postgres).unwrap().sql,
///     "SELECT * FROM employees WHERE last_name LIKE $1 AND x::int > 0 LIMIT 10"
/// );
/// assert_eq!(text("SELECT '10:30', :a").compile(&MySql).unwrap().sql, "SELECT '10:30', ?");
/// ```
pub fn text(sql: impl Into<String>) -> TextClause {
    TextClause {
        parts: Arc::from(parse(&sql.into())),
    }
}

/// A parsed `text()` fragment. Cheap to clone.
#[derive(Debug, Clone, PartialEq)]
pub struct TextClause {
    parts: Arc<[TextPart]>,
}

#[derive(Debug, Clone, PartialEq)]
enum TextPart {
    Sql(String),
    Param(Arc<str>),
}

impl TextClause {
    /// The names of the parameters, in order of first appearance.
    ///
    /// ```
    /// let t = aludel::sql::text("SELECT :b, :a, :b");
    /// assert_eq!(t.param_names(), vec!["b", "a"]);
    /// ```
    pub fn param_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for part in self.parts.iter() {
            if let TextPart::Param(n) = part {
                if !names.contains(&n.as_ref()) {
                    names.push(n);
                }
            }
        }
        names
    }

    pub(crate) fn render(&self, c: &mut Compiler<'_>) {
        for part in self.parts.iter() {
            match part {
                TextPart::Sql(s) => c.push(s),
                TextPart::Param(name) => c.bind_param(name.clone()),
            }
        }
    }

    /// Calls `f` with each part: `(Some(sql), None)` for SQL text, `(None, Some(name))` for
    /// a parameter.
    pub(crate) fn for_each_part(&self, mut f: impl FnMut(Option<&str>, Option<&str>)) {
        for part in self.parts.iter() {
            match part {
                TextPart::Sql(s) => f(Some(s), None),
                TextPart::Param(name) => f(None, Some(name)),
            }
        }
    }
}

impl Executable for TextClause {
    fn compile(&self, dialect: &dyn Dialect) -> Result<Compiled> {
        Compiler::render(dialect, |c| StatementRef::Text(self).render(c))
    }

    fn statement(&self) -> Option<StatementRef<'_>> {
        Some(StatementRef::Text(self))
    }
}

fn parse(sql: &str) -> Vec<TextPart> {
    let chars: Vec<char> = sql.chars().collect();
    let mut parts = Vec::new();
    let mut buf = String::new();
    let mut i = 0;
    let mut quote: Option<char> = None;
    while i < chars.len() {
        let ch = chars[i];
        if let Some(q) = quote {
            buf.push(ch);
            if ch == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match ch {
            '\'' | '"' | '`' => {
                quote = Some(ch);
                buf.push(ch);
                i += 1;
            }
            '\\' if chars.get(i + 1) == Some(&':') => {
                buf.push(':');
                i += 2;
            }
            ':' if chars.get(i + 1) == Some(&':') => {
                buf.push_str("::");
                i += 2;
            }
            ':' if chars
                .get(i + 1)
                .is_some_and(|c| c.is_alphanumeric() || *c == '_')
                && !(i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')) =>
            {
                let start = i + 1;
                let mut end = start;
                while end < chars.len() && (chars[end].is_alphanumeric() || chars[end] == '_') {
                    end += 1;
                }
                if !buf.is_empty() {
                    parts.push(TextPart::Sql(std::mem::take(&mut buf)));
                }
                let name: String = chars[start..end].iter().collect();
                parts.push(TextPart::Param(Arc::from(name)));
                i = end;
            }
            _ => {
                buf.push(ch);
                i += 1;
            }
        }
    }
    if !buf.is_empty() {
        parts.push(TextPart::Sql(buf));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialects::{Postgres, Sqlite};

    #[test]
    fn repeated_names_bind_each_occurrence() {
        let c = text("SELECT :a, :a").compile(&Postgres).unwrap();
        assert_eq!(c.sql, "SELECT $1, $2");
        assert_eq!(c.binds[0].name.as_deref(), Some("a"));
        assert_eq!(c.binds[1].name.as_deref(), Some("a"));
    }

    #[test]
    fn escaped_colon_and_time_literals_are_not_parameters() {
        let c = text(r"SELECT \:x, '12:00', a::text")
            .compile(&Sqlite)
            .unwrap();
        assert_eq!(c.sql, "SELECT :x, '12:00', a::text");
        assert!(c.binds.is_empty());
    }
}
