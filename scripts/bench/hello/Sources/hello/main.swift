import Foundation

// Uses Foundation the way platform's startup does (process info, a file handle write), so both
// load the same runtime libraries.
let name = ProcessInfo.processInfo.processName
FileHandle.standardOutput.write(Data("hello from \(name)\n".utf8))
