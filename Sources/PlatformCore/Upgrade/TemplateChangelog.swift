import Foundation

/// A template's `CHANGELOG.md` (at the template folder's top; never rendered into projects): one
/// `## VERSION` heading per release (`## 1.2.0`, `## [v1.2.0] - 2026-11-30`), its notes below.
public struct TemplateChangelog: Sendable, Equatable {
    public static let fileName = "CHANGELOG.md"

    public struct Section: Sendable, Equatable {
        public var version: SemanticVersion
        public var lines: [String]
    }

    public var sections: [Section]

    public init(text: String) {
        var sections: [Section] = []
        var current: Section?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("## ") {
                if let current { sections.append(current) }
                current = Self.version(inHeading: line).map { Section(version: $0, lines: [line]) }
            } else if line.hasPrefix("# ") {
                if let current { sections.append(current) }
                current = nil
            } else if current != nil, !line.trimmingCharacters(in: .whitespaces).isEmpty {
                current?.lines.append(line)
            }
        }
        if let current { sections.append(current) }
        self.sections = sections
    }

    /// The changelog of the template folder, or nil when it has none.
    public static func load(from directory: String) -> TemplateChangelog? {
        guard let data = FileManager.default.contents(atPath: directory + "/" + fileName) else { return nil }
        return TemplateChangelog(text: String(decoding: data, as: UTF8.self))
    }

    /// The lines of the releases after `old` up to and including `new`, newest first (as written).
    public func lines(after old: SemanticVersion?, upTo new: SemanticVersion) -> [String] {
        sections.filter { section in
            section.version <= new && old.map { section.version > $0 } ?? true
        }.flatMap(\.lines)
    }

    private static func version(inHeading line: String) -> SemanticVersion? {
        let words = line.dropFirst(3).split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let first = words.first else { return nil }
        return SemanticVersion(first.trimmingCharacters(in: CharacterSet(charactersIn: "[]()")))
    }
}
