//! Small text formats shared by the headless commands and the TUI.

/// Pids as "12,13,14", or "-" for none.
pub fn pid_list(pids: &[i32]) -> String {
    if pids.is_empty() {
        return "-".to_string();
    }
    pids.iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_lists() {
        assert_eq!(pid_list(&[]), "-");
        assert_eq!(pid_list(&[7]), "7");
        assert_eq!(pid_list(&[7, 8, 9]), "7,8,9");
    }
}
