import SwiftParser
import SwiftSyntax
import Testing

@testable import RestateMacros

/// When the generated extension adds `DefaultInitializable`: only when the type visibly has an
/// `init()` at least as accessible as the conformance needs.
@Suite("DefaultInitializable detection")
struct DefaultInitializableTests {
    static let cases: [(source: String, expected: Bool)] = [
        ("actor A {}", true),
        ("actor A { var count = 0; let name = \"a\" }", true),
        ("actor A { var note: String?; var other: Optional<Int> = nil }", true),
        ("actor A { let note: String? }", false),
        ("actor A { let count: Int }", false),
        ("actor A { var count: Int { 1 }; static let shared: Int }", true),
        ("actor A { var count: Int { didSet {} } }", false),
        ("actor A { let count: Int; init() { count = 0 } }", true),
        ("actor A { init(count: Int = 0) {} }", false),
        ("actor A { init?() {} }", false),
        ("actor A { init() throws {} }", false),
        ("actor A { private init() {} }", false),
        ("actor A { init(count: Int) {}; init() {} }", true),
        ("public actor A { var count = 0 }", false),
        ("public actor A { init() {} }", false),
        ("public actor A { public init() {} }", true),
        ("package actor A { package init() {} }", true),
        ("struct S { var count = 0 }", true),
    ]

    @Test("Detects an init()", arguments: cases)
    func detects(source: String, expected: Bool) throws {
        let file = Parser.parse(source: source)
        let declaration = try #require(
            file.statements.first?.item.as(DeclSyntax.self)?.asProtocol(DeclGroupSyntax.self)
        )
        let access = RestateMacros.Parser.accessLevel(declaration.modifiers)
        #expect(RestateMacros.Parser.hasVisibleDefaultInit(declaration, access: access) == expected)
    }
}
