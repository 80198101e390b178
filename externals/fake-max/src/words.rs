//! The protocol's words: a line splits at spaces, `"a b"` is one symbol
//! (`\"`, `\\` and `\n` escape inside quotes), an integer literal is an A_LONG, a
//! number with a point or an exponent an A_FLOAT, anything else (and anything
//! quoted) an A_SYM. Pure functions; the main thread uses them.

use super::abi::Atom;
use super::symbols;

/// One word of a command line.
#[derive(Clone, Debug, PartialEq)]
pub struct Word {
    pub text: String,
    pub quoted: bool,
}

pub fn split(line: &str) -> Result<Vec<Word>, String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&c) = chars.peek() else { break };
        let mut text = String::new();
        if c == '"' {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '"' => {
                        closed = true;
                        break;
                    }
                    '\\' => match chars.next() {
                        Some('n') => text.push('\n'),
                        c => text.extend(c),
                    },
                    c => text.push(c),
                }
            }
            if !closed {
                return Err(format!("unterminated quote in: {line}"));
            }
            words.push(Word { text, quoted: true });
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                text.push(c);
                chars.next();
            }
            words.push(Word { text, quoted: false });
        }
    }
    Ok(words)
}

/// The atom a word stands for.
pub fn atom(w: &Word) -> Atom {
    if !w.quoted {
        let t = w.text.as_str();
        let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(v) = t.parse::<isize>() {
                return Atom::long(v);
            }
        }
        let numeric = digits.bytes().any(|b| b.is_ascii_digit())
            && digits.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
        if numeric {
            if let Ok(v) = t.parse::<f64>() {
                return Atom::float(v);
            }
        }
    }
    Atom::sym(symbols::sym(&w.text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::abi::{A_FLOAT, A_LONG, A_SYM};

    #[test]
    fn words_and_atoms() {
        let w = split(r#"send a 0 "a b" 5 -3 2.5 3. 1e3 x "" "q\"q""#).unwrap();
        let kinds: Vec<i32> = w.iter().map(|w| atom(w).kind()).collect();
        assert_eq!(
            kinds,
            [A_SYM, A_SYM, A_LONG, A_SYM, A_LONG, A_LONG, A_FLOAT, A_FLOAT, A_FLOAT, A_SYM, A_SYM, A_SYM]
        );
        assert_eq!(w[3].text, "a b");
        assert_eq!(w[11].text, "q\"q");
        assert_eq!(atom(&w[8]).as_float(), 1000.0);
        assert!(split("\"open").is_err());
        assert_eq!(split(r#""a\nb""#).unwrap()[0].text, "a\nb");
        assert_eq!(crate::kernel::output::sym_text("a\nb"), r#""a\nb""#);
        assert_eq!(atom(&Word { text: "inf".into(), quoted: false }).kind(), A_SYM);
        assert_eq!(atom(&Word { text: "-".into(), quoted: false }).kind(), A_SYM);
    }
}
