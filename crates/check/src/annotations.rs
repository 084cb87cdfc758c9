//! Stack annotations: a line format, `#` starts a comment.
//!
//! ```text
//! # function_symbol max_depth_bytes: the whole depth below (and including) this function
//! _ZN4demo7recurse17h0123456789abcdefE 512
//! ets_printf 256
//! # indirect <caller> -> <callee symbol | bytes>: what an unresolved callx in <caller> may call
//! indirect splitcore_rt_interrupt -> my_handler
//! indirect splitcore_rt_interrupt -> 0
//! ```
//!
//! Function names may be given mangled or demangled (without the hash, as the report prints them).

use std::collections::HashMap;

use crate::stack::demangle;

/// Parsed annotations.
#[derive(Debug, Clone, Default)]
pub struct Annotations {
    depth: HashMap<String, u64>,
    indirect: HashMap<String, Vec<String>>,
}

impl Annotations {
    /// Parses the line format; errors name the line.
    pub fn parse(text: &str) -> Result<Annotations, String> {
        let mut ann = Annotations::default();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            match fields.as_slice() {
                ["indirect", caller, "->", callee] => {
                    ann.add_indirect(caller, callee);
                }
                [function, bytes] => {
                    let bytes = parse_bytes(bytes).ok_or_else(|| format!("line {}: `{bytes}` is not a byte count", i + 1))?;
                    ann.add_depth(function, bytes);
                }
                _ => {
                    return Err(format!(
                        "line {}: expected `function_symbol max_depth_bytes` or `indirect <caller> -> <callee>`, got `{line}`",
                        i + 1
                    ))
                }
            }
        }
        Ok(ann)
    }

    /// Adds `function max_depth_bytes`.
    pub fn add_depth(&mut self, function: &str, bytes: u64) {
        self.depth.insert(function.to_string(), bytes);
    }

    /// Adds `indirect caller -> callee`.
    pub fn add_indirect(&mut self, caller: &str, callee: &str) {
        self.indirect.entry(caller.to_string()).or_default().push(callee.to_string());
    }

    /// The annotated depth of a function (by mangled or demangled name).
    pub fn depth(&self, name: &str) -> Option<u64> {
        self.depth.get(name).or_else(|| self.depth.get(&demangle(name))).copied()
    }

    /// The annotated indirect callees of a function.
    pub fn indirect(&self, name: &str) -> Vec<String> {
        self.indirect.get(name).or_else(|| self.indirect.get(&demangle(name))).cloned().unwrap_or_default()
    }
}

/// Parses `16384`, `0x4000`, `16k`/`16K`/`16KiB`.
pub fn parse_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok();
    }
    let lower = s.to_ascii_lowercase();
    for suffix in ["kib", "k"] {
        if let Some(n) = lower.strip_suffix(suffix) {
            return n.trim().parse::<u64>().ok().map(|n| n * 1024);
        }
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms() {
        let a = Annotations::parse("# c\nfoo 512\nindirect bar -> baz # x\nindirect bar -> 64\n\n").unwrap();
        assert_eq!(a.depth("foo"), Some(512));
        assert_eq!(a.indirect("bar"), vec!["baz".to_string(), "64".to_string()]);
        assert!(Annotations::parse("foo bar baz").unwrap_err().contains("line 1"));
        assert_eq!(parse_bytes("16k"), Some(16384));
        assert_eq!(parse_bytes("0x100"), Some(256));
    }
}
