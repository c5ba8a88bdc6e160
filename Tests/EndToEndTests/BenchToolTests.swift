import Foundation
import Testing

/// sn-bench run as a built binary. Only the report's structure is checked: timing belongs in the
/// benchmark's output, not in test assertions.
@Suite struct BenchToolTests {
    static let figureKeys = ["sgemm_1024", "conv_3x3_256to256_64", "conv_7x7_1to64_256", "conv_3x3s2_64to128_128"]

    @Test func quickJSONHasEveryFigureWithBothThreadCounts() throws {
        let r = try ToolRunner.run("sn-bench", ["--quick", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let machine = try #require(object["machine"] as? [String: Any])
        #expect(machine["cores"] as? Int ?? 0 >= 1)
        #expect(object["quick"] as? Bool == true)
        for key in Self.figureKeys {
            let figure = try #require(object[key] as? [String: Any], "missing figure \(key)")
            for threads in ["threads_1", "threads_2"] {
                let t = try #require(figure[threads] as? [String: Any], "\(key) lacks \(threads)")
                let gflops = try #require(t["gflops"] as? Double)
                #expect(gflops > 0 && gflops.isFinite, "\(key) \(threads): \(gflops)")
                if key.hasPrefix("conv") {
                    #expect((t["ratio"] as? Double).map { $0 > 0 } == true, "\(key) \(threads) lacks a ratio")
                }
            }
        }
    }

    @Test func tableNamesEveryFigure() throws {
        let r = try ToolRunner.run("sn-bench", ["--quick", "--threads", "1", "--only", "sgemm_1024"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("sgemm 1024x1024x1024"))
        #expect(!r.stdout.contains("conv 3x3"))
    }

    @Test func unknownFigureIsAUsageError() throws {
        let r = try ToolRunner.run("sn-bench", ["--only", "fft_4096"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("unknown figure 'fft_4096'"))
    }
}
