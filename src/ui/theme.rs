//! Colour themes from `themes/*.toml` (built into the binary; `--theme FILE` loads another).
//! Colour never carries meaning alone: every status also has a symbol or a word.

use crate::error::{Error, Result};
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::path::Path;
use std::str::FromStr;

pub const BUILT_IN: [(&str, &str); 3] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    background: String,
    foreground: String,
    muted: String,
    accent: String,
    selection_bg: String,
    selection_fg: String,
    border: String,
    border_focused: String,
    hard: String,
    easy: String,
    warning: String,
    bar_hard: String,
    bar_easy: String,
    bar_class: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub base: Style,
    pub muted: Style,
    pub accent: Style,
    pub selection: Style,
    pub border: Style,
    pub border_focused: Style,
    pub hard: Style,
    pub easy: Style,
    pub warning: Style,
    pub bar_hard: Color,
    pub bar_easy: Color,
    pub bar_class: Color,
}

fn colour(source: &Path, key: &str, value: &str) -> Result<Color> {
    if value == "reset" {
        return Ok(Color::Reset);
    }
    Color::from_str(value).map_err(|_| {
        Error::input(
            source,
            format!("key '{key}': '{value}' is not a colour (a name like \"red\" or \"#rrggbb\")"),
        )
    })
}

impl Theme {
    pub fn parse(source: &Path, text: &str) -> Result<Theme> {
        let file: ThemeFile = toml::from_str(text)
            .map_err(|e| Error::input(source, format!("not a valid theme: {}", e.message())))?;
        let c = |key: &str, value: &str| colour(source, key, value);
        let base = Style::default()
            .fg(c("foreground", &file.foreground)?)
            .bg(c("background", &file.background)?);
        Ok(Theme {
            name: file.name.clone(),
            base,
            muted: Style::default().fg(c("muted", &file.muted)?),
            accent: Style::default()
                .fg(c("accent", &file.accent)?)
                .add_modifier(Modifier::BOLD),
            selection: Style::default()
                .fg(c("selection_fg", &file.selection_fg)?)
                .bg(c("selection_bg", &file.selection_bg)?)
                .add_modifier(Modifier::BOLD),
            border: Style::default().fg(c("border", &file.border)?),
            border_focused: Style::default()
                .fg(c("border_focused", &file.border_focused)?)
                .add_modifier(Modifier::BOLD),
            hard: Style::default().fg(c("hard", &file.hard)?),
            easy: Style::default().fg(c("easy", &file.easy)?),
            warning: Style::default().fg(c("warning", &file.warning)?),
            bar_hard: c("bar_hard", &file.bar_hard)?,
            bar_easy: c("bar_easy", &file.bar_easy)?,
            bar_class: c("bar_class", &file.bar_class)?,
        })
    }

    /// A built-in theme by name, or a theme file by path.
    pub fn load(name_or_path: &str) -> Result<Theme> {
        if let Some((name, text)) = BUILT_IN.iter().find(|(n, _)| *n == name_or_path) {
            return Theme::parse(Path::new(&format!("themes/{name}.toml")), text);
        }
        let path = Path::new(name_or_path);
        if !path.exists() {
            let names: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
            return Err(Error::usage(format!(
                "unknown theme '{name_or_path}': use {} or a path to a theme file",
                names.join(", ")
            )));
        }
        let text = crate::files::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Theme::parse(path, &text)
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::load("dark").expect("the built-in theme parses")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_themes_parse() {
        for (name, _) in BUILT_IN {
            assert_eq!(Theme::load(name).unwrap().name, name);
        }
    }

    #[test]
    fn unknown_keys_and_bad_colours_are_named() {
        let (_, dark) = BUILT_IN[0];
        let extra = format!("{dark}\nsparkle = \"red\"\n");
        let err = Theme::parse(Path::new("x.toml"), &extra)
            .unwrap_err()
            .to_string();
        assert!(err.contains("x.toml") && err.contains("sparkle"), "{err}");
        let bad = dark.replace("#ff5f5f", "not-a-colour");
        let err = Theme::parse(Path::new("y.toml"), &bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not-a-colour"), "{err}");
    }
}
