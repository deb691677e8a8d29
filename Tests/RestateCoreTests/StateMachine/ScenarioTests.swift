import Foundation
import Testing

@testable import RestateCore

/// The shared scenario corpus (`Tests/Scenarios/*.json`, recorded from the reference VM) and the
/// Swift-side fixtures, each run through the Swift state machine on every listed version.
@Suite("Scenarios")
struct ScenarioTests {
    static let corpus = ScenarioCase.load(directory: TestPaths.scenarios)
    static let fixtures = ScenarioCase.load(directory: TestPaths.fixtures)

    @Test("corpus", arguments: corpus)
    func runCorpus(_ testCase: ScenarioCase) {
        let differences = checkScenario(testCase.scenario, version: testCase.version)
        #expect(
            differences.isEmpty,
            Comment(
                rawValue:
                    "\(testCase.file): \(testCase.scenario.name) V\(testCase.version.rawValue) (\(testCase.scenario.source))\n"
                    + differences.joined(separator: "\n")
            )
        )
    }

    @Test("fixtures", arguments: fixtures)
    func runFixture(_ testCase: ScenarioCase) {
        let differences = checkScenario(testCase.scenario, version: testCase.version)
        #expect(
            differences.isEmpty,
            Comment(
                rawValue:
                    "\(testCase.file): \(testCase.scenario.name) V\(testCase.version.rawValue) (\(testCase.scenario.source))\n"
                    + differences.joined(separator: "\n")
            )
        )
    }

    @Test("the fixtures are there and the runner notices a wrong expectation")
    func runnerDetectsDifferences() throws {
        #expect(ScenarioTests.fixtures.count >= 10)
        let original = try #require(ScenarioTests.fixtures.first { $0.scenario.name == "input_output/echo" })
        guard case .object(var json) = original.scenario.json, case .object(var expect) = json["expect"] else {
            Issue.record("echo fixture has no expect")
            return
        }
        expect["output"] = .array([])
        json["expect"] = .object(expect)
        var broken = original.scenario
        broken.json = .object(json)
        #expect(!checkScenario(broken, version: original.version).isEmpty)
    }
}

/// The differential test: random scenarios generated and recorded by the reference VM
/// (`Tests/Oracle/oracle.py generate`), run through the Swift machine.
///
/// Needs a Python with the pinned `restate-sdk`: `RESTATE_ORACLE_PYTHON`, else `.venv/bin/python3`
/// at the repository root. `RESTATE_ORACLE_SCRIPT` overrides the oracle's path;
/// `RESTATE_DIFF_COUNT` (default 500) and `RESTATE_DIFF_SEED` (default 20250101) size the run.
@Suite("Differential against the reference VM")
struct DifferentialTests {
    static let python: String? = {
        let environment = ProcessInfo.processInfo.environment
        if let python = environment["RESTATE_ORACLE_PYTHON"], FileManager.default.isExecutableFile(atPath: python) {
            return python
        }
        let venv = TestPaths.repositoryRoot.appendingPathComponent(".venv/bin/python3").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
    }()

    static let script: String = {
        ProcessInfo.processInfo.environment["RESTATE_ORACLE_SCRIPT"]
            ?? TestPaths.testsDirectory.appendingPathComponent("Oracle/oracle.py").path
    }()

    static var available: Bool { python != nil && FileManager.default.fileExists(atPath: script) }

    @Test(
        "generated scenarios match the reference",
        .enabled(
            if: DifferentialTests.available,
            "no oracle: set RESTATE_ORACLE_PYTHON (a venv with restate-sdk) and have Tests/Oracle/oracle.py"
        ),
        arguments: [5, 6, 7]
    )
    func differential(version: Int) throws {
        let environment = ProcessInfo.processInfo.environment
        let count = environment["RESTATE_DIFF_COUNT"] ?? "500"
        let seed = environment["RESTATE_DIFF_SEED"] ?? "20250101"
        let out = FileManager.default.temporaryDirectory
            .appendingPathComponent("restate-diff-\(version)-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: out) }

        // `generate` re-runs each recorded scenario and drops the few the reference itself does not
        // reproduce (it picks among several pending runs in a per-process order); the comparison
        // below also treats the order of adjacent run proposals as unordered.
        let python = try #require(DifferentialTests.python)
        let attempts: [[String]] = [
            [
                DifferentialTests.script, "generate", "--seed", seed, "--count", count, "--version", String(version),
                "--out", out.path,
            ],
        ]
        var failure = ""
        for arguments in attempts {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = arguments
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            if process.terminationStatus == 0 {
                failure = ""
                break
            }
            failure = String(errorText.suffix(2000))
        }
        try #require(failure.isEmpty, "oracle generate failed: \(failure)")

        let scenarios = try Scenario.load(out)
        #expect(!scenarios.isEmpty)
        let protocolVersion = try #require(ProtocolVersion(rawValue: version))
        var failures: [String] = []
        for scenario in scenarios {
            let differences = checkScenario(scenario, version: protocolVersion, orderingPendingRunProposals: true)
            if !differences.isEmpty {
                failures.append("\(scenario.name):\n" + differences.joined(separator: "\n"))
            }
        }
        #expect(
            failures.isEmpty,
            Comment(
                rawValue: "V\(version): \(failures.count) of \(scenarios.count) differ\n"
                    + failures.prefix(5).joined(separator: "\n\n")
            )
        )
    }

    static let extraFiles: [String] =
        ProcessInfo.processInfo.environment["RESTATE_SCENARIO_FILES"]?.split(separator: ",").map(String.init) ?? []

    /// Checks already generated scenario files (e.g. from `oracle.py generate` run by hand).
    @Test(
        "scenario files named by RESTATE_SCENARIO_FILES",
        .enabled(if: !DifferentialTests.extraFiles.isEmpty, "RESTATE_SCENARIO_FILES is not set"),
        arguments: DifferentialTests.extraFiles
    )
    func files(_ path: String) throws {
        let scenarios = try Scenario.load(URL(fileURLWithPath: path))
        var failures: [String] = []
        for scenario in scenarios {
            for version in scenario.versions {
                let differences = checkScenario(scenario, version: version, orderingPendingRunProposals: true)
                if !differences.isEmpty {
                    failures.append("\(scenario.name) V\(version.rawValue):\n" + differences.joined(separator: "\n"))
                }
            }
        }
        #expect(
            failures.isEmpty,
            Comment(
                rawValue: "\(path): \(failures.count) of \(scenarios.count) differ\n"
                    + failures.prefix(8).joined(separator: "\n\n")
            )
        )
    }
}
