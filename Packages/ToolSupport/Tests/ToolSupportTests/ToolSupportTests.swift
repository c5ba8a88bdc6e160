import Foundation
import Testing
import ToolSupport

enum Method: String, ArgumentChoice { case otsu, adaptive, star }

/// A command declaration used by the parsing tests.
struct Fixture {
    var spec = CommandSpec(name: "sn-test", summary: "A test tool.", positionalUsage: "[IMAGE ...]")
    let json: FlagKey
    let repeats: OptionKey<Int>
    let scale: OptionKey<Double>
    let method: OptionKey<Method>
    let out: OptionalOptionKey<String>

    init() {
        json = spec.flag("json", help: "JSON output.")
        repeats = spec.option("repeats", default: 7, help: "Repeats.")
        scale = spec.option("scale", default: 1.5, help: "Scale.")
        method = spec.option("method", default: Method.otsu, help: "Method.")
        out = spec.optionalOption("out", as: String.self, help: "Output folder.")
    }

    func parse(_ args: [String]) throws -> ParsedArguments {
        switch try spec.parse(args) {
        case .help: throw UsageError("help")
        case .version: throw UsageError("version")
        case .arguments(let a): return a
        }
    }
}

@Suite struct ArgumentParsingTests {
    @Test func defaultsWhenAbsent() throws {
        let f = Fixture()
        let a = try f.parse([])
        #expect(a[f.json] == false)
        #expect(a[f.repeats] == 7)
        #expect(a[f.scale] == 1.5)
        #expect(a[f.method] == .otsu)
        #expect(a[f.out] == nil)
        #expect(a.positionals.isEmpty)
    }

    @Test func valuesSeparateAndInline() throws {
        let f = Fixture()
        let a = try f.parse(["--json", "--repeats", "3", "--scale=0.25", "--method", "star", "--out", "dir", "x.tif", "-", "y.tif"])
        #expect(a[f.json])
        #expect(a[f.repeats] == 3)
        #expect(a[f.scale] == 0.25)
        #expect(a[f.method] == .star)
        #expect(a[f.out] == "dir")
        #expect(a.positionals == ["x.tif", "-", "y.tif"])
    }

    /// An option given with its default value was still given; an absent one was not.
    @Test func givenOptionsAreToldFromDefaults() throws {
        let f = Fixture()
        let a = try f.parse(["--repeats", "7", "--scale=0.25", "x.tif"])
        #expect(a.wasGiven(f.repeats) && a.wasGiven(f.scale) && !a.wasGiven(f.method))
        #expect(!(try f.parse([])).wasGiven(f.repeats))
    }

    @Test func doubleDashEndsOptions() throws {
        let f = Fixture()
        let a = try f.parse(["--", "--json", "-x"])
        #expect(a[f.json] == false)
        #expect(a.positionals == ["--json", "-x"])
    }

    @Test func helpIsRecognised() throws {
        let f = Fixture()
        for h in ["--help", "-h"] {
            guard case .help = try f.spec.parse(["--repeats", "2", h]) else {
                Issue.record("\(h) not recognised"); continue
            }
        }
        let text = f.spec.helpText
        #expect(text.contains("USAGE: sn-test [options] [IMAGE ...]"))
        #expect(text.contains("--method <otsu|adaptive|star>"))
        #expect(text.contains("(default: 7)"))
        #expect(text.contains("--version"))
        #expect(!text.contains("NON-FINITE"), "no extreme-values section unless the tool declares one")
        var spec = f.spec
        spec.extremeValues = "NaN pixels are ignored."
        #expect(spec.helpText.hasSuffix("NON-FINITE AND EXTREME VALUES:\nNaN pixels are ignored.\n"))
    }

    @Test func versionIsRecognised() throws {
        let f = Fixture()
        guard case .version = try f.spec.parse(["--repeats", "2", "--version"]) else {
            Issue.record("--version not recognised"); return
        }
        let line = ToolVersion.line(tool: "sn-test")
        #expect(line.hasPrefix("sn-test "))
        #expect(line.hasSuffix(", model format \(ToolVersion.modelFormatVersion))"))
    }

    @Test func gitCommitIsReadFromLooseAndPackedRefs() throws {
        let root = "/tmp/sn-version-test-\(getpid())"
        defer { _ = try? FileManager.default.removeItem(atPath: root) }
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/.git/refs/heads", withIntermediateDirectories: true)
        let a = String(repeating: "a", count: 40), b = String(repeating: "b", count: 40)
        try "ref: refs/heads/main\n".write(toFile: root + "/.git/HEAD", atomically: false, encoding: .utf8)
        try "# pack-refs\n\(b) refs/heads/main\n".write(toFile: root + "/.git/packed-refs", atomically: false, encoding: .utf8)
        #expect(ToolVersion.gitCommit(repository: root) == b)
        try "\(a)\n".write(toFile: root + "/.git/refs/heads/main", atomically: false, encoding: .utf8)
        #expect(ToolVersion.gitCommit(repository: root) == a)
        try "\(b)\n".write(toFile: root + "/.git/HEAD", atomically: false, encoding: .utf8)    // detached
        #expect(ToolVersion.gitCommit(repository: root) == b)
        #expect(ToolVersion.gitCommit(repository: root + "/nowhere") == nil)
    }

    @Test(arguments: [
        (["--nope"], "unknown option '--nope'"),
        (["-x"], "unknown option '-x'"),
        (["--repeats"], "option '--repeats' needs a value (int)"),
        (["--repeats", "many"], "option '--repeats': 'many' is not a valid int"),
        (["--scale", "nan"], "option '--scale': 'nan' is not a valid number"),
        (["--method", "watershed"], "option '--method': 'watershed' is not a valid otsu|adaptive|star"),
        (["--json=yes"], "option '--json' takes no value"),
    ])
    func usageErrors(args: [String], message: String) {
        let f = Fixture()
        #expect(throws: UsageError(message)) { try f.spec.parse(args) }
    }
}

@Suite struct InputPathTests {
    @Test func argumentsWithoutStdin() {
        var read = false
        let paths = InputPaths.resolve(["a.tif", "b.tif"], readStdin: { read = true; return "zzz" })
        #expect(paths == ["a.tif", "b.tif"])
        #expect(!read, "stdin must not be read when paths are given and none is '-'")
    }

    @Test func noArgumentsReadsStdinLines() {
        let paths = InputPaths.resolve([], readStdin: { "a.tif\n  b c.tif \r\n\n\tc.tif\n" })
        #expect(paths == ["a.tif", "b c.tif", "c.tif"])
    }

    @Test func dashIsReplacedInPlaceOnce() {
        var reads = 0
        let paths = InputPaths.resolve(["x.tif", "-", "y.tif", "-"], readStdin: { reads += 1; return "s1\ns2" })
        #expect(paths == ["x.tif", "s1", "s2", "y.tif"])
        #expect(reads == 1)
    }

    @Test func pathNames() {
        #expect(PathName.fileName("a/b/c.tif") == "c.tif")
        #expect(PathName.fileName("c.tif") == "c.tif")
        #expect(PathName.fileName("a/b/") == "b")
        #expect(PathName.stem("a/b/c.ome.tif") == "c.ome")
        #expect(PathName.stem(".hidden") == ".hidden")
        #expect(PathName.fileExtension("x/Y.TIF") == "tif")
        #expect(PathName.fileExtension("x/noext") == "")
        #expect(PathName.join("out", "a.tif") == "out/a.tif")
        #expect(PathName.join("out/", "a.tif") == "out/a.tif")
    }

    /// The pairing rule: the same name first, then the stem with .tif, .tiff, .png in that order.
    @Test func partnerFiles() {
        let files: Set<String> = ["truth/a.png", "truth/a.tiff", "truth/b.png", "truth/c.ome.tif"]
        let exists = { files.contains($0) }
        #expect(PathName.partner(of: "pred/a.png", in: "truth", exists: exists) == "truth/a.png")
        #expect(PathName.partner(of: "pred/a.tif", in: "truth", exists: exists) == "truth/a.tiff")
        #expect(PathName.partner(of: "x/b.tif", in: "truth/", exists: exists) == "truth/b.png")
        #expect(PathName.partner(of: "c.ome.tif", in: "truth", exists: exists) == "truth/c.ome.tif")
        #expect(PathName.partner(of: "d.tif", in: "truth", exists: exists) == nil)
    }
}

@Suite struct OutputDirectoryTests {
    func temporaryFolder() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("toolsupport-\(UUID().uuidString)").path
        return dir
    }

    @Test func createsNestedFolderAndKeepsNames() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var out = try OutputDirectory(root + "/a/b")
        var isDir: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: root + "/a/b", isDirectory: &isDir) && isDir.boolValue)
        #expect(try out.destination(for: "raw/img01.tif") == root + "/a/b/img01.tif")
        #expect(try out.destination(for: "raw/img02.png", newExtension: "tif") == root + "/a/b/img02.tif")
        // Outputs are ImageJ TIFFs without OME-XML: an OME-TIFF's '.ome' goes with the extension.
        #expect(try out.destination(for: "raw/movie.ome.tif", newExtension: "tif") == root + "/a/b/movie.tif")
        #expect(try out.destination(for: "raw/Stack.OME.TIFF", newExtension: "tif") == root + "/a/b/Stack.tif")
        #expect(try out.destination(for: "raw/.ome.tif", newExtension: "tif") == root + "/a/b/.ome.tif")
        #expect(try out.destination(for: "raw/keep.ome.tif") == root + "/a/b/keep.ome.tif", "no new extension: the name is kept")
    }

    @Test func refusesTwoInputsWithTheSameOutputName() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var out = try OutputDirectory(root)
        _ = try out.destination(for: "day1/img.tif")
        #expect(throws: ToolError.self) { try out.destination(for: "day2/img.tif") }
    }

    @Test func refusesAFileInPlaceOfTheFolder() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: root + "/file", contents: Data([1]))
        #expect(throws: ToolError.self) { try OutputDirectory(root + "/file/sub") }
    }
}

@Suite struct BatchTests {
    @Test func failuresAreCountedAndStatusIsOne() {
        var batch = Batch(tool: "sn-test")
        batch.process("a.tif") { [] }
        #expect(batch.status == .success)
        batch.process("b.tif") { throw ToolError("b.tif: truncated file") }
        batch.process("c.tif") { [] }
        #expect(batch.succeeded == 2)
        #expect(batch.failed == 1)
        #expect(batch.status == .someInputsFailed)
        #expect(ExitStatus.usage.rawValue == 2)
    }
}

@Suite struct ProgressTests {
    @Test func plainLineHasCountsRateAndETA() {
        let p = ProgressReporter(label: "train", total: 100, terminal: false)
        let line = p.line(completed: 25, elapsed: 10, detail: "loss 0.5")
        #expect(line == "train 25/100  2.5 it/s  ETA 0:30  loss 0.5")
        let slow = p.line(completed: 1, elapsed: 4)
        #expect(slow == "train 1/100  4.0 s/it  ETA 6:36")
        #expect(ProgressReporter.clock(3725) == "1:02:05")
    }

    @Test func terminalLineHasBar() {
        let p = ProgressReporter(label: "x", total: 4, terminal: true)
        #expect(p.line(completed: 2, elapsed: 1).hasPrefix("x [############            ] 2/4"))
    }
}

@Suite struct ShippedModelTests {
    @Test func environmentFolderComesFirstThenModelsBesideTheExecutable() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("models-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir); unsetenv("SALIENCYNET_MODELS") }
        let name = "test-model-\(UUID().uuidString).safetensors"
        #expect(ShippedModels.locate(name) == nil)
        FileManager.default.createFile(atPath: dir + "/" + name, contents: Data([1, 2, 3]))
        setenv("SALIENCYNET_MODELS", dir, 1)
        #expect(ShippedModels.searchFolders().first == dir)
        #expect(ShippedModels.locate(name) == dir + "/" + name)
        // Without the variable, the folders are Models/ in the executable's folder and its parents.
        unsetenv("SALIENCYNET_MODELS")
        let folders = ShippedModels.searchFolders()
        #expect(folders.count == 6)
        #expect(folders.prefix(5).allSatisfy { $0.hasSuffix("/Models") || $0 == "Models" })
        #expect(folders.last?.hasSuffix("share/saliencynet/models") == true)
        #expect(ShippedModels.locate(name) == nil)
    }
}
