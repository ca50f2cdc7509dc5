//! The config file (`--config FILE`, else `~/.config/faultline/config.toml` when present):
//!
//! ```toml
//! theme = "light"              # a built-in name or a theme file
//! image_protocol = "halfblocks"
//! [keys]
//! "ctrl-e" = "export"          # key = action (see `?` in the explorer)
//! ```

use super::action::Action;
use super::keymap::Keymap;
use crate::error::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub theme: Option<String>,
    pub image_protocol: Option<String>,
    #[serde(default)]
    pub keys: BTreeMap<String, Action>,
}

pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("faultline").join("config.toml"))
}

impl Config {
    pub fn parse(path: &Path, text: &str) -> Result<Config> {
        toml::from_str(text)
            .map_err(|e| Error::input(path, format!("not a valid config: {}", e.message())))
    }

    /// The file named, else the default one if it exists, else an empty config.
    pub fn load(path: Option<&Path>) -> Result<Config> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => match default_path() {
                Some(p) => (p, false),
                None => return Ok(Config::default()),
            },
        };
        match crate::files::read_to_string(&path) {
            Ok(text) => Config::parse(&path, &text),
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
                Ok(Config::default())
            }
            Err(e) => Err(Error::io(&path, e)),
        }
    }

    pub fn keymap(&self, source: &Path) -> Result<Keymap> {
        let mut keymap = Keymap::default();
        for (key, action) in &self.keys {
            keymap
                .bind(key, *action)
                .map_err(|e| Error::input(source, format!("[keys]: {e}")))?;
        }
        Ok(keymap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_and_rejects_unknown_fields() {
        let config = Config::parse(
            Path::new("c.toml"),
            "theme = \"light\"\n[keys]\n\"ctrl-e\" = \"export\"\n",
        )
        .unwrap();
        assert_eq!(config.theme.as_deref(), Some("light"));
        assert!(config.keymap(Path::new("c.toml")).is_ok());
        let err = Config::parse(Path::new("c.toml"), "colour = 1\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("c.toml") && err.contains("colour"), "{err}");
        let err = Config::parse(Path::new("c.toml"), "[keys]\nx = \"fly\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("fly"), "{err}");
        let bad_key =
            Config::parse(Path::new("c.toml"), "[keys]\n\"hyper-x\" = \"quit\"\n").unwrap();
        assert!(bad_key
            .keymap(Path::new("c.toml"))
            .unwrap_err()
            .to_string()
            .contains("hyper-x"));
    }
}
