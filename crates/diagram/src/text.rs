//! Text measurement without a font engine.
//!
//! The layout runs on the server and in the CLI, where no browser measures text. Widths come
//! from a small table of average advances for a sans-serif UI font (Helvetica/Arial/system-ui
//! metrics, which agree within a few percent), scaled to the font size. Estimates err a
//! little wide so names never overflow their boxes.

/// Advance of one character, in ems, for a sans-serif font.
fn advance(c: char) -> f64 {
    match c {
        'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' => 0.28,
        'f' | 't' | 'r' | 'I' | ' ' | '(' | ')' | '[' | ']' | '/' | '-' => 0.36,
        'm' | 'w' => 0.86,
        'M' | 'W' => 0.92,
        'A'..='Z' => 0.70,
        '0'..='9' => 0.58,
        c if c.is_ascii() => 0.56,
        // Wide scripts and symbols: about one em.
        _ => 1.0,
    }
}

/// Width of `text` at `size` pixels.
pub fn width(text: &str, size: f64) -> f64 {
    text.chars().map(advance).sum::<f64>() * size
}

/// Splits `text` into lines no wider than `max` pixels, breaking at spaces (or inside a word
/// that alone is too wide). At most `max_lines` lines; the last one ends in `…` if cut.
pub fn wrap(text: &str, size: f64, max: f64, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if width(&candidate, size) <= max || current.is_empty() {
            current = candidate;
        } else {
            lines.push(std::mem::take(&mut current));
            current = word.to_string();
        }
        // A single word wider than the line is broken by characters.
        while width(&current, size) > max && current.chars().count() > 1 {
            let mut head = String::new();
            let mut rest = current.chars().peekable();
            while let Some(&c) = rest.peek() {
                if width(&head, size) + advance(c) * size > max && !head.is_empty() {
                    break;
                }
                head.push(c);
                rest.next();
            }
            lines.push(head);
            current = rest.collect();
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        let last = lines.last_mut().expect("max_lines > 0");
        while width(last, size) + advance('…') * size > max && last.chars().count() > 1 {
            last.pop();
        }
        last.push('…');
    }
    lines
}

/// Cuts `text` so it fits `max` pixels, ending in `…` when cut.
pub fn fit(text: &str, size: f64, max: f64) -> String {
    if width(text, size) <= max {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        if width(&out, size) + (advance(c) + advance('…')) * size > max {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wider_text_measures_wider() {
        assert!(width("Random Select Winners", 13.0) > width("Failed", 13.0));
        assert!(width("WWW", 13.0) > width("iii", 13.0));
    }

    #[test]
    fn wraps_at_spaces_within_the_limit() {
        let lines = wrap("Send SNS and Record In Dynamodb", 13.0, 120.0, 3);
        assert!(lines.len() >= 2, "{lines:?}");
        assert!(lines.iter().all(|l| width(l, 13.0) <= 120.0), "{lines:?}");
        assert_eq!(lines.join(" "), "Send SNS and Record In Dynamodb");
    }

    #[test]
    fn breaks_a_word_longer_than_the_line_and_caps_lines() {
        let long = "x".repeat(200);
        let lines = wrap(&long, 13.0, 100.0, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'));
        assert!(lines.iter().all(|l| width(l, 13.0) <= 100.0 + 13.0));
    }

    #[test]
    fn fit_truncates_with_ellipsis() {
        let s = fit(
            "arn:aws:lambda:us-east-1:123456789012:function:X",
            11.0,
            80.0,
        );
        assert!(s.ends_with('…'));
        assert!(width(&s, 11.0) <= 80.0);
        assert_eq!(fit("ok", 11.0, 80.0), "ok");
    }
}
