//! The words every MyCase shell shows about safety: the safeguarding statement's
//! own, and nothing more. MyCase gives no advice; a shell shows these at set-up
//! and on a safety page (`mycase help safety`, the app's safety page), so they
//! live here once.

/// Immediate risk or emergency (the statement's section 6), one line each.
pub const EMERGENCY: [&str; 4] = [
    "If you or someone else is in immediate danger, please contact emergency services.",
    "Call 999",
    "If you cannot speak safely, you can use the 999 Silent Solution.",
    "For non-emergency police assistance in the UK, call 101.",
];

/// What a browser keeps: a fact about the app, not advice (shown on the app's
/// safety page only; a terminal keeps its own history, which the CLI never fills
/// with content).
pub const BROWSER_TRACES: &str =
    "This browser's history and downloads may show that MyCase was used on this computer.";

/// The whole safety text as lines, in the order a shell shows them.
pub fn statement() -> Vec<&'static str> {
    EMERGENCY.to_vec()
}

/// The app's safety page: the statement's lines, then what the browser keeps.
pub fn statement_for_browser() -> Vec<&'static str> {
    let mut lines = statement();
    lines.push(BROWSER_TRACES);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_numbers_are_the_statements_own() {
        let text = statement().join("\n");
        for needed in ["Call 999", "999 Silent Solution", "call 101"] {
            assert!(text.contains(needed), "{needed}");
        }
        // No advice beyond the statement: nothing that tells someone what to do
        // other than the numbers.
        assert!(!text.contains("should"));
        let browser = statement_for_browser().join("\n");
        assert!(browser.starts_with(&text) && browser.contains("history and downloads"));
        assert!(!browser.contains("should"));
    }
}
