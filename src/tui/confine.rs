//! Names typed in the workbench stay where they belong: a save-as file next to the
//! constitution, an export directory inside the session. A typed name is taken relative to that
//! place (an absolute path must point inside it), and `..`, a path outside it or a symbolic
//! link on the way is refused with a message. Paths given on the command line are not
//! confined: they are used as given.

use std::path::{Component, Path, PathBuf};

/// The path `typed` names inside `base`, or why it may not be used.
pub fn confine(base: &Path, typed: &str) -> Result<PathBuf, String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Err("no name given".into());
    }
    let path = Path::new(typed);
    let outside = || {
        format!(
            "`{typed}` is not inside {}; names typed here stay there (give another place on \
             the command line)",
            base.display()
        )
    };
    if path.components().any(|c| c == Component::ParentDir) {
        return Err(outside());
    }
    let full = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    let Ok(inside) = full.strip_prefix(base) else {
        return Err(outside());
    };
    let mut at = base.to_path_buf();
    for part in inside.components() {
        at.push(part);
        if at
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            return Err(format!(
                "`{}` is a symbolic link; names typed here do not follow links",
                at.display()
            ));
        }
    }
    Ok(full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_inside_their_place() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        assert_eq!(confine(base, "out/a").unwrap(), base.join("out/a"));
        assert_eq!(
            confine(base, &base.join("x").display().to_string()).unwrap(),
            base.join("x")
        );
        for bad in ["../escape", "a/../../b", "/etc/passwd", "  "] {
            assert!(confine(base, bad).is_err(), "{bad}");
        }
        let err = confine(base, "../x").unwrap_err();
        assert!(err.contains("is not inside"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_on_the_way_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("link")).unwrap();
        let err = confine(dir.path(), "link/out").unwrap_err();
        assert!(err.contains("is a symbolic link"), "{err}");
    }
}
