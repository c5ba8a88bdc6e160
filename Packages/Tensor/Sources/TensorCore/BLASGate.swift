#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps OpenBLAS's process-wide thread setting steady under every BLAS call.
///
/// OpenBLAS has one thread count for the whole process, and `sgemm` rounds differently with
/// 1 and 2 threads (with 0.3.21 on this project's machines, a few percent of the entries of
/// a `[64, 576] · [576, 1024]` product differ in the last bits). ``BLAS/concurrentCalls(count:_:)``
/// sets OpenBLAS to one thread for a while; before this gate, a product started by another
/// thread in that window ran with one thread, so two threads running networks side by side
/// (as the test suite does) got results that depended on timing.
///
/// Every ``BLAS/sgemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` holds the
/// gate shared; changing the setting (``BLAS/concurrentCalls(count:_:)``, the
/// ``Parallel/threadCount`` setter) holds it exclusively, so the setting never changes under a
/// running product. Products that `concurrentCalls` itself runs are marked by a thread-local
/// flag and pass through. Waiting writers go first, so a stream of products on other threads
/// cannot starve them. Shared sections are a single `cblas_sgemm`, which never re-enters the
/// gate, so the gate cannot deadlock.
enum BLASGate {
    /// The reader–writer lock (writer-preferring where the C library offers it).
    static let lock: UnsafeMutablePointer<pthread_rwlock_t> = {
        let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        #if canImport(Glibc)
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        #endif
        pthread_rwlock_init(lock, &attributes)
        pthread_rwlockattr_destroy(&attributes)
        return lock
    }()

    /// Thread-local key whose non-nil value marks a thread running products inside an exclusive section.
    static let insideKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Whether the calling thread runs inside an exclusive section (see ``passThrough(_:)``).
    static var isInside: Bool { pthread_getspecific(insideKey) != nil }

    /// Runs `body` holding the gate shared, unless the thread already runs inside an exclusive section.
    @inline(__always)
    static func shared<R>(_ body: () throws -> R) rethrows -> R {
        if isInside { return try body() }
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    /// Runs `body` holding the gate exclusively. Nested inside another exclusive section (on the
    /// section's own threads) it simply runs `body`.
    static func exclusive<R>(_ body: () throws -> R) rethrows -> R {
        if isInside { return try body() }
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try passThrough(body)
    }

    /// Runs `body` with the calling thread marked as inside the exclusive section that another
    /// thread (or this one) holds: used on the worker threads of ``BLAS/concurrentCalls(count:_:)``.
    static func passThrough<R>(_ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(insideKey)
        pthread_setspecific(insideKey, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(insideKey, previous) }
        return try body()
    }
}

/// Orders changes of ``Parallel/threadCount`` against steady sections: a reader–writer gate whose
/// writer may re-enter on its own thread (``Parallel/withThreadCount(_:_:)`` nested in another, the
/// setter inside one) and whose readers nest. Readers go first (a steady section may open another
/// while a change waits); a change requested inside the same thread's steady section is a
/// programming error, caught by a precondition instead of hanging.
enum SettingGate {
    /// Guards the state below.
    static let mutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()
    /// Signalled whenever the gate opens.
    static let opened: UnsafeMutablePointer<pthread_cond_t> = {
        let c = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        pthread_cond_init(c, nil)
        return c
    }()
    /// Open steady sections, and the thread holding the change (if any); guarded by ``mutex``.
    nonisolated(unsafe) static var readers = 0
    nonisolated(unsafe) static var writer: pthread_t? = nil
    /// Thread-local count of this thread's open steady sections (stored as a pointer-sized integer).
    static let readingKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
    static var localReaders: Int {
        get { Int(bitPattern: pthread_getspecific(readingKey)) }
        set { pthread_setspecific(readingKey, UnsafeRawPointer(bitPattern: newValue)) }
    }

    static func ownsWriter() -> Bool { writer.map { pthread_equal($0, pthread_self()) != 0 } ?? false }

    static func shared<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        if ownsWriter() {
            pthread_mutex_unlock(mutex)
            return try body()
        }
        while writer != nil { pthread_cond_wait(opened, mutex) }
        readers += 1
        pthread_mutex_unlock(mutex)
        localReaders += 1
        defer {
            localReaders -= 1
            pthread_mutex_lock(mutex)
            readers -= 1
            if readers == 0 { pthread_cond_broadcast(opened) }
            pthread_mutex_unlock(mutex)
        }
        return try body()
    }

    static func exclusive<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        if ownsWriter() {
            pthread_mutex_unlock(mutex)
            return try body()
        }
        precondition(localReaders == 0, "Parallel.threadCount changed inside a withSteadyThreadCount section of the same thread")
        while writer != nil || readers > 0 { pthread_cond_wait(opened, mutex) }
        writer = pthread_self()
        pthread_mutex_unlock(mutex)
        defer {
            pthread_mutex_lock(mutex)
            writer = nil
            pthread_cond_broadcast(opened)
            pthread_mutex_unlock(mutex)
        }
        return try body()
    }
}
