import Foundation
import Testing

/// Every tool this suite knows must follow the shared conventions; add new tools here.
let allTools = ["sn-bench", "sn-convert", "sn-synth", "sn-camera", "sn-segment", "sn-score", "sn-train-star", "sn-train", "sn-enhance", "sn-fuzz", "sn-report"]

@Suite struct CommandLineConventionTests {
    @Test(arguments: allTools)
    func helpExitsZeroOnStdout(tool: String) throws {
        let r = try ToolRunner.run(tool, ["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("\(tool): "))
        #expect(r.stdout.contains("USAGE: \(tool)"))
        #expect(r.stderr.isEmpty)
    }

    @Test(arguments: allTools)
    func unknownOptionIsAUsageError(tool: String) throws {
        let r = try ToolRunner.run(tool, ["--no-such-option"])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.first == "\(tool): error: unknown option '--no-such-option'")
        #expect(lines.count == 2, "one error line and one hint, got: \(r.stderr)")
    }

    @Test func badOptionValueIsAUsageError() throws {
        let r = try ToolRunner.run("sn-bench", ["--repeats", "lots"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("'lots' is not a valid int"))
    }
}
