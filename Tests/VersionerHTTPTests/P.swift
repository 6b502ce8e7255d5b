import Testing
import HummingbirdTesting
@Test func placeholder2() { #expect(1 == 1) }
