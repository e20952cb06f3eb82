// Callbacks from the core's own threads and closed handles: nothing kept alive,
// nothing crashes. The suite is compiled in one module with the bindings, so it
// may count the host objects Rust still holds (an internal of the bindings).
package org.mycase.tests

import java.io.File
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Rule
import org.junit.Test
import org.junit.rules.TemporaryFolder
import org.mycase.core.*

/** Waits (at most 10 s) until Rust holds none of them: a drop cannot wait itself. */
fun releasedWithin(held: () -> Int) {
    val deadline = System.currentTimeMillis() + 10_000
    while (held() != 0) {
        check(System.currentTimeMillis() < deadline) { "a listener was never released" }
        Thread.yield()
    }
}

class CallbacksTest {
    @get:Rule val tmp = TemporaryFolder()

    @Test fun closedSyncServicesReleaseTheirListeners() = runBlocking {
        Server().use { server ->
            val phone = newJournal(tmp.root)
            create(phone, server)
            val held = { FfiConverterTypeJournalListener.handleMap.size }
            assertEquals(0, held())
            repeat(20) { round ->
                val events = Events()
                val service = phone.startSync(events)
                assertTrue(service.isRunning())
                phone.addEntry(entry("Loop", "one more"))
                events.waitFor<JournalEvent.LocalChange>()
                // Called from the core's threads, never the caller's.
                assertFalse(Thread.currentThread().id in events.threads)
                if (round % 2 == 0) {
                    // stop() returns once the listener had its last call.
                    service.stop()
                    assertEquals(0, held())
                    service.close()
                } else {
                    // Closed without stop: released once a call in progress returns.
                    service.close()
                    releasedWithin(held)
                }
            }
            val stopped = phone.startSync(Events())
            stopped.stop()
            stopped.close()
            phone.close()
            assertEquals(0, held())
        }
    }

    @Test fun progressListenersAreReleasedAfterTheCall() = runBlocking {
        Server().use { server ->
            val phone = newJournal(tmp.root)
            create(phone, server)
            val first = phone.addEntry(entry("Photo", "a photo"))
            val file = File(tmp.root, "photo.bin")
            file.writeBytes(ByteArray(1_000_000) { it.toByte() })
            repeat(5) { phone.attachFile(first, file.path, Progress()) }
            assertEquals(0, FfiConverterTypeProgressListener.handleMap.size)
            phone.close()
        }
    }
}
