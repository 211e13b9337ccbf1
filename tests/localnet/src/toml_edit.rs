//! Sets single values in wasmd's generated config files (config.toml, app.toml).
//!
//! The files are the ones `wasmd init` writes: one `key = value` per line under `[section]`
//! headers. Editing lines keeps every other setting and comment as wasmd wrote it, and needs no
//! TOML library.

use std::path::Path;

use crate::error::{io_error, LocalnetError, Result};

/// A setting: `section` is the TOML table (`""` for the top level), `value` is already in TOML
/// syntax (`"\"300ms\""`, `"false"`).
pub(crate) struct Setting<'a> {
    pub section: &'a str,
    pub key: &'a str,
    pub value: String,
}

/// Rewrites `key = ...` lines in `path`. Every setting must match a line that exists, so a
/// renamed key in a new wasmd fails loudly instead of being silently ignored.
pub(crate) fn set_values(path: &Path, settings: &[Setting<'_>]) -> Result<()> {
    let text =
        std::fs::read_to_string(path).map_err(io_error(format!("reading {}", path.display())))?;
    let edited = apply(&text, settings).map_err(|missing| {
        LocalnetError::Unexpected(format!("{}: no setting {missing}", path.display()))
    })?;
    std::fs::write(path, edited).map_err(io_error(format!("writing {}", path.display())))
}

/// Returns the edited text, or the first setting (as `[section] key`) that matched no line.
fn apply(text: &str, settings: &[Setting<'_>]) -> std::result::Result<String, String> {
    let mut found = vec![false; settings.len()];
    let mut section = String::new();
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(name) = trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = name.trim().to_string();
        }
        let key = trimmed.split('=').next().unwrap_or("").trim();
        let setting = settings.iter().position(|s| {
            s.section == section
                && !trimmed.starts_with('#')
                && trimmed.contains('=')
                && s.key == key
        });
        match setting {
            Some(index) => {
                found[index] = true;
                out.push_str(&format!("{key} = {}\n", settings[index].value));
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    match found.iter().position(|f| !f) {
        Some(index) => Err(format!(
            "[{}] {}",
            settings[index].section, settings[index].key
        )),
        None => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "\
# top comment
proxy_app = \"tcp://127.0.0.1:26658\"

[rpc]
laddr = \"tcp://127.0.0.1:26657\"
# laddr = \"commented\"

[p2p]
laddr = \"tcp://0.0.0.0:26656\"
";

    fn setting(section: &'static str, key: &'static str, value: &str) -> Setting<'static> {
        Setting {
            section,
            key,
            value: value.to_string(),
        }
    }

    #[test]
    fn same_key_in_two_sections_is_set_per_section() {
        let edited = apply(
            CONFIG,
            &[
                setting("rpc", "laddr", "\"tcp://127.0.0.1:1\""),
                setting("p2p", "laddr", "\"tcp://127.0.0.1:2\""),
            ],
        )
        .unwrap();
        assert!(edited.contains("[rpc]\nladdr = \"tcp://127.0.0.1:1\"\n# laddr = \"commented\"\n"));
        assert!(edited.contains("[p2p]\nladdr = \"tcp://127.0.0.1:2\"\n"));
        assert!(edited.contains("proxy_app = \"tcp://127.0.0.1:26658\""));
    }

    #[test]
    fn top_level_key_is_set() {
        let edited = apply(CONFIG, &[setting("", "proxy_app", "\"x\"")]).unwrap();
        assert!(edited.starts_with("# top comment\nproxy_app = \"x\"\n"));
    }

    #[test]
    fn missing_key_is_an_error() {
        let missing = apply(CONFIG, &[setting("rpc", "no_such_key", "1")]).unwrap_err();
        assert_eq!(missing, "[rpc] no_such_key");
        // A key of another section does not count.
        let missing = apply(CONFIG, &[setting("", "laddr", "1")]).unwrap_err();
        assert_eq!(missing, "[] laddr");
    }
}
