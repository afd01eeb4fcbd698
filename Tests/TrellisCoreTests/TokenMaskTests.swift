import XCTest
@testable import TrellisCore

final class TokenMaskTests: XCTestCase {
    func testMaskAgreesWithSetOnRandomData() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let count = Int.random(in: 1...300, using: &rng)
            var reference = Set<TokenID>()
            var mask = TokenMask(count: count)
            for _ in 0..<Int.random(in: 0...count, using: &rng) {
                let t = TokenID(Int.random(in: 0..<count, using: &rng))
                reference.insert(t)
                mask.insert(t)
            }
            XCTAssertEqual(mask.tokens, reference.sorted())
            XCTAssertEqual(mask.population, reference.count)
            XCTAssertEqual(mask.isEmpty, reference.isEmpty)
            for t in 0..<TokenID(count) { XCTAssertEqual(mask.contains(t), reference.contains(t)) }
            XCTAssertFalse(mask.contains(TokenID(count)))
        }
    }

    func testApplyMaskKeepsOnlyAllowedTokens() {
        struct OnlyEven: LogitConstraint {
            var initialState: Int { 0 }
            func allowed(in state: Int) -> AllowedTokens { .only([0, 2, 4]) }
            func advance(_ state: Int, by token: TokenID) -> Int? { token % 2 == 0 ? state + 1 : nil }
            func isAccepting(_ state: Int) -> Bool { true }
        }
        var row: [Float] = [1, 2, 3, 4, 5, 6]
        row.withUnsafeMutableBufferPointer { OnlyEven().applyMask(in: 0, to: $0) }
        XCTAssertEqual(row, [1, -.infinity, 3, -.infinity, 5, -.infinity])
    }

    func testLogitMatrixRowsAreDisjoint() {
        let m = LogitMatrix(rows: 2, width: 3)
        m.row(0).update(repeating: 1)
        m.row(1).update(repeating: 2)
        XCTAssertEqual(m.rowArray(0), [1, 1, 1])
        m.resize(rows: 5)
        XCTAssertEqual(m.rows, 5)
        XCTAssertEqual(m.row(4).count, 3)
    }
}
