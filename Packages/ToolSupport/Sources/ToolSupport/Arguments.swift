/// Command-line argument parsing shared by every SaliencyNet tool.
///
/// The conventions (swift-argument-parser's, without the dependency):
/// - `--help` (or `-h`) prints the tool's help on stdout and exits 0.
/// - `--version` prints one line (tool, release version, git commit, model format; ``ToolVersion``) on
///   stdout and exits 0.
/// - Options are `--name value` or `--name=value`; flags are `--name`.
/// - `--` ends option parsing; everything after it is positional.
/// - A lone `-` is a positional argument meaning "read input paths from stdin".
/// - A usage error (unknown option, missing or malformed value) prints one line on stderr,
///   a hint to run `--help`, and exits with ``ExitStatus/usage`` (2).
///
/// Options are declared explicitly and read back through typed keys, never by string lookup:
///
/// ```swift
/// var spec = CommandSpec(name: "sn-bench", summary: "Measure kernel throughput.")
/// let json = spec.flag("json", help: "Print one JSON object instead of a table.")
/// let repeats = spec.option("repeats", default: 7, help: "Timed repeats per figure.")
/// let args = spec.parseOrExit()
/// if args[json] { ... }
/// let n = args[repeats]   // Int
/// ```

/// A value that can be parsed from a command-line string.
public protocol ArgumentValue {
    /// Parses `text`, or returns nil when it is not a valid value.
    init?(argument text: String)
    /// A short name for the kind of value, used in help and error messages (e.g. `int`).
    static var valueKindName: String { get }
}

extension Int: ArgumentValue {
    public init?(argument text: String) { self.init(text) }
    public static var valueKindName: String { "int" }
}

extension Double: ArgumentValue {
    public init?(argument text: String) {
        guard let v = Double(text), v.isFinite else { return nil }
        self = v
    }
    public static var valueKindName: String { "number" }
}

extension Float: ArgumentValue {
    public init?(argument text: String) {
        guard let v = Float(text), v.isFinite else { return nil }
        self = v
    }
    public static var valueKindName: String { "number" }
}

extension String: ArgumentValue {
    public init?(argument text: String) { self = text }
    public static var valueKindName: String { "text" }
}

/// Enumerations whose raw values are the accepted spellings (e.g. `--method otsu|adaptive|star`).
public protocol ArgumentChoice: ArgumentValue, CaseIterable, RawRepresentable where RawValue == String {}

extension ArgumentChoice {
    public init?(argument text: String) { self.init(rawValue: text) }
    public static var valueKindName: String { allCases.map(\.rawValue).joined(separator: "|") }
}

/// A typed handle to a declared flag (`--name`, no value).
public struct FlagKey: Hashable, Sendable {
    let index: Int
}

/// A typed handle to a declared option with a default value.
public struct OptionKey<Value: ArgumentValue>: Hashable, Sendable {
    let index: Int
}

/// A typed handle to a declared option without a default: reading it gives an optional.
public struct OptionalOptionKey<Value: ArgumentValue>: Hashable, Sendable {
    let index: Int
}

/// A usage error: the arguments do not fit the command's declaration.
public struct UsageError: Error, Equatable, CustomStringConvertible {
    /// One line naming what is wrong, e.g. `unknown option '--foo'`.
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The declaration of one tool's command line: its name, help text, flags, options and positionals.
public struct CommandSpec {
    /// One declared flag or option.
    struct Entry {
        var name: String
        var help: String
        var takesValue: Bool
        var valueKind: String
        var defaultDescription: String?
        var parse: (String) -> Any?
        var defaultValue: Any?
    }

    /// The tool's name as typed by the user (e.g. `sn-enhance`).
    public let name: String
    /// One sentence saying what the tool does.
    public let summary: String
    /// The positional part of the usage line, e.g. `[IMAGE ...]`.
    public var positionalUsage: String
    /// Free text printed after the options (input conventions, examples, exit codes).
    public var discussion: String
    /// What the tool does with NaN, ±∞ and extreme finite pixel values (printed by `--help` under
    /// `NON-FINITE AND EXTREME VALUES:`; empty for tools that read no pixel data).
    public var extremeValues: String = ""
    var entries: [Entry] = []

    /// Declares a command.
    /// - Parameters:
    ///   - name: the executable's name.
    ///   - summary: one sentence for the top of `--help`.
    ///   - positionalUsage: the usage line's positional part (empty when the tool takes none).
    ///   - discussion: text shown after the option list.
    public init(name: String, summary: String, positionalUsage: String = "", discussion: String = "") {
        self.name = name
        self.summary = summary
        self.positionalUsage = positionalUsage
        self.discussion = discussion
    }

    /// Declares a flag `--name`. Reading it gives `true` when present.
    public mutating func flag(_ name: String, help: String) -> FlagKey {
        precondition(!entries.contains { $0.name == name }, "option --\(name) declared twice")
        entries.append(Entry(name: name, help: help, takesValue: false, valueKind: "",
                             defaultDescription: nil, parse: { _ in true }, defaultValue: false))
        return FlagKey(index: entries.count - 1)
    }

    /// Declares an option `--name VALUE` with a default used when it is absent.
    public mutating func option<Value: ArgumentValue>(_ name: String, default value: Value, help: String) -> OptionKey<Value> {
        precondition(!entries.contains { $0.name == name }, "option --\(name) declared twice")
        entries.append(Entry(name: name, help: help, takesValue: true, valueKind: Value.valueKindName,
                             defaultDescription: "\(value)", parse: { Value(argument: $0) }, defaultValue: value))
        return OptionKey(index: entries.count - 1)
    }

    /// Declares an option `--name VALUE` without a default; reading it gives nil when absent.
    public mutating func optionalOption<Value: ArgumentValue>(_ name: String, as type: Value.Type = Value.self, help: String) -> OptionalOptionKey<Value> {
        precondition(!entries.contains { $0.name == name }, "option --\(name) declared twice")
        entries.append(Entry(name: name, help: help, takesValue: true, valueKind: Value.valueKindName,
                             defaultDescription: nil, parse: { Value(argument: $0) }, defaultValue: nil))
        return OptionalOptionKey(index: entries.count - 1)
    }

    /// The text printed by `--help`.
    public var helpText: String {
        var lines: [String] = []
        lines.append("\(name): \(summary)")
        lines.append("")
        let positional = positionalUsage.isEmpty ? "" : " \(positionalUsage)"
        lines.append("USAGE: \(name) [options]\(positional)")
        lines.append("")
        lines.append("OPTIONS:")
        var rows: [(String, String)] = []
        for e in entries {
            let left = e.takesValue ? "--\(e.name) <\(e.valueKind)>" : "--\(e.name)"
            var right = e.help
            if let d = e.defaultDescription { right += " (default: \(d))" }
            rows.append((left, right))
        }
        rows.append(("-h, --help", "Show this help and exit."))
        rows.append(("--version", "Show the version, git commit and model format version, and exit."))
        let width = min(max(rows.map(\.0.count).max() ?? 0, 10), 34)
        for (left, right) in rows {
            if left.count > width {
                lines.append("  \(left)")
                lines.append("  " + String(repeating: " ", count: width) + "  " + right)
            } else {
                lines.append("  " + left + String(repeating: " ", count: width - left.count) + "  " + right)
            }
        }
        if !discussion.isEmpty {
            lines.append("")
            lines.append(discussion)
        }
        if !extremeValues.isEmpty {
            lines.append("")
            lines.append("NON-FINITE AND EXTREME VALUES:")
            lines.append(extremeValues)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The outcome of parsing: either a request for help, or parsed arguments.
    public enum Outcome {
        /// `--help` or `-h` was given.
        case help
        /// `--version` was given.
        case version
        /// Arguments that fit the declaration.
        case arguments(ParsedArguments)
    }

    /// Parses `arguments` (without the executable name).
    /// - Throws: ``UsageError`` naming the first problem.
    public func parse(_ arguments: [String]) throws -> Outcome {
        var values = entries.map(\.defaultValue)
        var given = Set<Int>()
        var positionals: [String] = []
        var i = 0
        var optionsEnded = false
        while i < arguments.count {
            let arg = arguments[i]
            i += 1
            if optionsEnded || arg == "-" || !arg.hasPrefix("-") {
                positionals.append(arg)
                continue
            }
            if arg == "--" { optionsEnded = true; continue }
            if arg == "--help" || arg == "-h" { return .help }
            if arg == "--version" { return .version }
            guard arg.hasPrefix("--") else {
                throw UsageError("unknown option '\(arg)'")
            }
            var name = String(arg.dropFirst(2))
            var inlineValue: String? = nil
            if let eq = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard let index = entries.firstIndex(where: { $0.name == name }) else {
                throw UsageError("unknown option '--\(name)'")
            }
            let entry = entries[index]
            given.insert(index)
            if !entry.takesValue {
                if inlineValue != nil { throw UsageError("option '--\(name)' takes no value") }
                values[index] = true
                continue
            }
            let text: String
            if let v = inlineValue {
                text = v
            } else {
                guard i < arguments.count else {
                    throw UsageError("option '--\(name)' needs a value (\(entry.valueKind))")
                }
                text = arguments[i]
                i += 1
            }
            guard let parsed = entry.parse(text) else {
                throw UsageError("option '--\(name)': '\(text)' is not a valid \(entry.valueKind)")
            }
            values[index] = parsed
        }
        return .arguments(ParsedArguments(values: values, given: given, positionals: positionals))
    }

    /// Parses the process's arguments; prints help and exits 0 on `--help`, the version line on
    /// `--version`, or prints the
    /// usage error on stderr and exits 2.
    public func parseOrExit(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> ParsedArguments {
        do {
            switch try parse(arguments) {
            case .help:
                writeStdout(helpText)
                exitProcess(.success)
            case .version:
                writeStdout(ToolVersion.line(tool: name) + "\n")
                exitProcess(.success)
            case .arguments(let parsed):
                return parsed
            }
        } catch let error as UsageError {
            usageExit(error.message)
        } catch {
            usageExit("\(error)")
        }
    }

    /// Reports a usage error on stderr (`NAME: error: MESSAGE` and a hint) and exits 2.
    public func usageExit(_ message: String) -> Never {
        writeStderr("\(name): error: \(message)\n\(name): run '\(name) --help' for usage\n")
        exitProcess(.usage)
    }
}

/// Arguments parsed against a ``CommandSpec``, read back through the keys it returned.
public struct ParsedArguments {
    let values: [Any?]
    /// Indices of the options given on the command line (not defaulted).
    let given: Set<Int>
    /// Positional arguments in order (`-` included as given).
    public let positionals: [String]

    /// Whether the flag was given.
    public subscript(key: FlagKey) -> Bool { values[key.index] as? Bool ?? false }

    /// The option's value, or its default.
    public subscript<Value>(key: OptionKey<Value>) -> Value { values[key.index] as! Value }

    /// The option's value, or nil when absent.
    public subscript<Value>(key: OptionalOptionKey<Value>) -> Value? { values[key.index] as? Value }

    /// Whether the option was given on the command line, as opposed to taking its default (a tool may then
    /// take the value from elsewhere, such as the file a run starts from).
    public func wasGiven<Value>(_ key: OptionKey<Value>) -> Bool { given.contains(key.index) }
}
