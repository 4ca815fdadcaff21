/// The exit status a waiting thread hands over.
final class ExitBox: @unchecked Sendable {
    var status: Int32 = 0
}
