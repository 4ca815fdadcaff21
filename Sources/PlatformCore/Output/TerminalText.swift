import Foundation

/// Text from others (release messages and users, pod and event messages, names from the cluster or
/// from files) made safe to show on a terminal: control characters become visible escapes, so
/// they can neither drive the terminal (clear the screen, retitle it, move the cursor) nor forge
/// lines of a table. Log lines themselves are not passed through here: `platform logs` copies them
/// as they are, as `kubectl logs` does.
public enum TerminalText {
    /// Escapes C0 controls, DEL, C1 controls (U+0080–U+009F; U+009B is a CSI on some terminals)
    /// and the Unicode bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069), which
    /// reorder what is shown. `\n` and `\t` are kept when `keepingLines` (text of several lines we
    /// laid out ourselves); otherwise every control is escaped, for one-line fields and table cells.
    public static func escape(_ text: String, keepingLines: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { needsEscape($0, keepingLines: keepingLines) }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar, keepingLines: keepingLines) else {
                out.append(scalar)
                continue
            }
            let shown: String
            switch scalar {
            case "\n": shown = "\\n"
            case "\r": shown = "\\r"
            case "\t": shown = "\\t"
            default:
                shown = scalar.value <= 0xff ? String(format: "\\x%02x", scalar.value) : String(format: "\\u{%04x}", scalar.value)
            }
            out.append(contentsOf: shown.unicodeScalars)
        }
        return String(out)
    }

    /// What every human line we print goes through (the console on stderr, results on stdout):
    /// control characters escaped with lines kept, and URL userinfo masked (`Redactor`).
    public static func forHuman(_ text: String) -> String {
        Redactor.maskingURLCredentials(escape(text, keepingLines: true))
    }

    static func needsEscape(_ scalar: Unicode.Scalar, keepingLines: Bool) -> Bool {
        switch scalar.value {
        case 0x0a, 0x09: return !keepingLines
        case 0x00...0x1f, 0x7f...0x9f, 0x202a...0x202e, 0x2066...0x2069: return true
        default: return false
        }
    }
}
